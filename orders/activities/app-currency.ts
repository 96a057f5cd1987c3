/**
 * The currency a Keap app keeps its books in, against the order's. Keap reads every amount Sales Sync
 * writes in the app's one currency, so an order in another (a JPY plan on a USD app) would be written
 * at figures nobody charged: Keap would show it PAID or not at odds with the lifecycle, and a paying
 * customer could be tagged past due. The app's currency is what Keap's own answers say (every
 * CurrencyValue carries `currency_code`): heard from the product reads and writes a sale makes anyway,
 * recorded in the ledger for every process (kind `app-currency`), so the happy path asks Keap nothing
 * more. Only an app never heard from is asked once (its first product), and a recorded currency that
 * disagrees with the order is read again before the order is refused (the merchant may have
 * connected another app, or changed its currency).
 */
import { ApplicationFailure } from '@temporalio/common';
import { KEAP_FAILURE_TYPE } from '../../common/failure-types';
import type { KeapSession } from '../../activities/keap-access';

/** The ledger key of an app's currency record (one per app). */
const BOOKS = 'books';

type CurrencySession = Pick<KeapSession, 'keap' | 'appKey' | 'ledger'>;

/** Non-retryable: the workflow parks the order in NeedsAttention with this reason; nothing is written. */
export function currencyMismatchFailure(orderCurrency: string, appCurrency: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: KEAP_FAILURE_TYPE.currencyMismatch,
    message:
      `the order is in ${orderCurrency} but this Keap app keeps its books in ${appCurrency}: Keap would read ` +
      `its amounts as ${appCurrency}, so nothing was written. Connect the account to a Keap app in ` +
      `${orderCurrency} (or record the order by hand), then resume it`,
    nonRetryable: true,
  });
}

export class KeapAppCurrency {
  constructor(private readonly session: CurrencySession) {}

  /** The currency recorded for the app, if any process has heard it. */
  async recorded(): Promise<string | undefined> {
    const { appKey, ledger } = this.session;
    const record = await ledger.get(appKey, 'app-currency', BOOKS);
    return record?.state === 'written' ? record.keapId : undefined;
  }

  /** Records what Keap said, unless it is what the ledger holds already. */
  async heard(currencyCode: string, recorded: string | undefined): Promise<void> {
    const code = currencyCode.toUpperCase();
    if (code === recorded) return;
    const { appKey, ledger } = this.session;
    await ledger.exclusive(appKey, 'app-currency', BOOKS, (record) => record.written(code));
  }

  /** Asks Keap: the currency of the app's first product, recorded; undefined for an app with no product yet. */
  async ask(recorded: string | undefined): Promise<string | undefined> {
    const code = (await this.session.keap.firstProduct())?.price?.currency_code?.toUpperCase();
    if (code) await this.heard(code, recorded);
    return code;
  }
}
