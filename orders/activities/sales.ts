/**
 * One activity per sale: the Keap products, the contact, the order and its payment, in one activity
 * task instead of four, so an order costs one Temporal action and one workflow-task round trip for
 * its Keap writes. Each write still looks before it writes whenever an earlier one may exist.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Customer } from '../order-schema';
import { syncKeapContact } from './contacts';
import type { KeapAccess, KeapSession } from '../../activities/keap-access';
import { retryTransient } from '../../activities/keap-retry';
import { currencyMismatchFailure, KeapAppCurrency } from './app-currency';
import type { CreateKeapOrderInput, KeapOrders, RecordedKeapPayment } from './keap-orders';
import type { EnsureProductsInput, KeapProducts, ProductIdsBySku } from './products';
import type { KeapOrderSnapshot, SaleFailureDetail, SaleProgress, SaleStep } from '../workflow/definitions';

export interface WriteKeapSaleInput {
  accountId: string;
  /** The contact when the workflow knows it (renewals); otherwise it is found by email or created. */
  contactId?: string;
  customer?: Customer;
  lines: (EnsureProductsInput['items'][number] & { quantity: number })[];
  order: Omit<CreateKeapOrderInput, 'accountId' | 'contactId' | 'items'>;
  payment: { id: string; amount: number; paidAt: string };
  /**
   * False on the workflow's first try of this sale (and not in a reset run): no earlier activity can
   * have written its order or payment, so attempt 1 writes without looking (Keap calls saved). A
   * retried attempt, or a later try the workflow makes after a failure, always looks.
   */
  mayHaveWritten: boolean;
  /** Progress of an earlier, failed try, from its failure details. */
  done?: SaleProgress;
}

export interface WrittenSale {
  contactId: string;
  keapOrder: KeapOrderSnapshot;
  payment: RecordedKeapPayment;
}

/** The failure, with the step it happened at and what was written so far, for the workflow. */
function withProgress(error: unknown, saleStep: SaleStep, progress: SaleProgress): unknown {
  if (!(error instanceof ApplicationFailure)) return error;
  const detail: SaleFailureDetail = { saleStep, progress: { ...progress } };
  return ApplicationFailure.create({
    message: error.message,
    type: error.type ?? undefined,
    nonRetryable: error.nonRetryable ?? undefined,
    nextRetryDelay: error.nextRetryDelay ?? undefined,
    details: [...(error.details ?? []), detail],
    cause: error.cause,
  });
}

export function saleActivities(access: KeapAccess, products: KeapProducts, orders: KeapOrders) {
  return {
    /**
     * Products first (a line waiting for its checkout's product sync retries before anything is
     * written), then the contact, the order and its payment. Progress survives a re-run of the work
     * after a 401 and token refresh within this attempt, so nothing written in it is written again.
     */
    async writeKeapSale(input: WriteKeapSaleInput): Promise<WrittenSale> {
      const progress: SaleProgress = { ...input.done };
      let step: SaleStep = 'ensureProducts';
      let runs = 0;
      /**
       * The lines' products, once the order's currency is known to be the app's (app-currency.ts):
       * refused before anything is written when the recorded currency differs (read again first), or
       * right after the products when the app's currency is first heard then.
       */
      const productsInTheAppsCurrency = async (session: KeapSession): Promise<ProductIdsBySku> => {
        const currency = new KeapAppCurrency(session);
        const orderCurrency = input.order.currency.toUpperCase();
        const refuse = (appCurrency: string) => {
          step = 'createKeapOrder';
          return currencyMismatchFailure(orderCurrency, appCurrency);
        };
        let recorded = await currency.recorded();
        if (recorded !== undefined && recorded !== orderCurrency) {
          recorded = (await currency.ask(recorded)) ?? recorded;
          if (recorded !== orderCurrency) throw refuse(recorded);
        }
        const heard: { currency?: string } = {};
        const productIds = await products.resolve(session, input.accountId, input.lines, (code) => {
          heard.currency = code.toUpperCase();
        });
        if (heard.currency !== undefined) await currency.heard(heard.currency, recorded);
        const appCurrency = heard.currency ?? recorded ?? (await currency.ask(recorded));
        if (appCurrency !== undefined && appCurrency !== orderCurrency) throw refuse(appCurrency);
        return productIds;
      };
      try {
        return await access.run(input.accountId, async (session) => {
          runs += 1;
          const mayHaveWritten = input.mayHaveWritten || runs > 1 || (await access.mayHaveWrittenUnrecorded());
          // A transient Keap error is tried again here, step by step, rather than failing the attempt.
          const again = <T>(work: () => Promise<T>) => retryTransient(work, { until: session.writeDeadline });
          step = 'ensureProducts';
          // Products only feed the order's creation: once the order exists (a resumed try), a checkout
          // unpublished since then must not hold its payment back; nor is its currency asked again.
          const productIds = progress.keapOrder ? {} : await again(() => productsInTheAppsCurrency(session));

          step = 'syncContact';
          if (!progress.contactId) progress.contactId = input.contactId;
          if (!progress.contactId) {
            if (!input.customer) throw new Error('writeKeapSale needs a contactId or a customer');
            const { customer } = input;
            progress.contactId = (await again(() => syncKeapContact(session, customer))).contactId;
          }
          const contactId = progress.contactId;

          step = 'createKeapOrder';
          // An order from an earlier try existed before this one, so payments may already be on it.
          const orderFromEarlier = progress.keapOrder !== undefined;
          progress.keapOrder ??= await again(() =>
            orders.create(
              session,
              {
                ...input.order,
                contactId,
                items: input.lines.map((line) => ({
                  productId: productIds[line.sku] ?? '',
                  name: line.name,
                  quantity: line.quantity,
                  unitAmount: line.unitAmount,
                })),
              },
              mayHaveWritten,
            ),
          );
          const keapOrder = progress.keapOrder;

          step = 'recordKeapPayment';
          // An order created by this very run has no payments yet: nothing to look for; nor has one an
          // earlier attempt created, beyond those the ledger knows (a retried attempt resumes here).
          const orderIsNew =
            (keapOrder.created && !orderFromEarlier) || (keapOrder.recorded === true && !mayHaveWritten);
          const payment = await again(() =>
            orders.recordPayment(
              session,
              { keapOrderId: keapOrder.keapOrderId, currency: input.order.currency, payment: input.payment },
              !orderIsNew,
            ),
          );
          return { contactId, keapOrder, payment };
        });
      } catch (error) {
        throw withProgress(error, step, progress);
      }
    },
  };
}
