import { ApplicationFailure } from '@temporalio/common';
import type { CheckoutStore } from '../../checkouts/store';
import type { KeapAccess, KeapSession } from '../../activities/keap-access';
import type { KeapRecord } from '../../activities/keap-ledger';
import type { KeapProduct } from '../../keap/types';

export interface EnsureProductsInput {
  accountId: string;
  /** A line bought through a checkout uses the product that checkout's sync wrote to Keap. */
  items: { sku: string; name: string; unitAmount: number; checkoutId?: string }[];
}

/** Keap product id per SKU. */
export type ProductIdsBySku = Record<string, string>;

/** How often an order re-checks whether its checkout's product sync has finished. */
const CHECKOUT_SYNC_POLL = '2 seconds';

/**
 * Keap product ids for order lines. Each SKU's product is found, or created once per Keap app across
 * every process (the ledger's lock and record); its id then comes from the ledger, so repeat orders
 * for a SKU cost no Keap call.
 */
export class KeapProducts {
  constructor(
    private readonly checkouts?: CheckoutStore,
    /** A product deleted in Keap is looked up afresh once its record is this old. */
    private readonly recheckAfterMs = 10 * 60_000,
  ) {}

  /**
   * The checkout's own product, never one of ours: creating it here could race the checkout's sync
   * into a second product for the SKU. Until that sync has written it, the order waits (retries).
   */
  private async checkoutProduct(accountId: string, checkoutId: string): Promise<string> {
    const sync = await this.checkouts?.getSync(accountId, checkoutId);
    if (sync?.keapProductId) return sync.keapProductId;
    throw ApplicationFailure.create({
      type: 'WaitingForCheckoutSync',
      message: `Waiting for checkout ${checkoutId}'s product to be synced to Keap${sync?.reason ? ` (${sync.reason})` : ''}`,
      nextRetryDelay: CHECKOUT_SYNC_POLL,
    });
  }

  /**
   * Finds each SKU's Keap product, creating it at the charged price if missing. Safe to retry.
   * `onCurrency` hears the currency of every product price Keap answered with (the app's currency).
   */
  async resolve(
    { keap, appKey, ledger }: Pick<KeapSession, 'keap' | 'appKey' | 'ledger'>,
    accountId: string,
    items: EnsureProductsInput['items'],
    onCurrency?: (currencyCode: string) => void,
  ): Promise<ProductIdsBySku> {
    const heard = (product: KeapProduct) => {
      if (product.price?.currency_code) onCurrency?.(product.price.currency_code);
    };
    const bySku = new Map(items.map((item) => [item.sku, item]));
    const ids: ProductIdsBySku = {};
    for (const [sku, item] of bySku) {
      if (item.checkoutId !== undefined) {
        ids[sku] = await this.checkoutProduct(accountId, item.checkoutId);
        continue;
      }
      const fresh = (record: KeapRecord | undefined) =>
        record?.state === 'written' && record.keapId && Date.now() - record.checkedAt < this.recheckAfterMs
          ? record.keapId
          : undefined;
      const known = fresh(await ledger.get(appKey, 'product', sku));
      ids[sku] =
        known ??
        (await ledger.exclusive(appKey, 'product', sku, async (record) => {
          const recorded = fresh(record.prior);
          if (recorded) return recorded;
          const found = await keap.findProductBySku(sku);
          if (found) {
            heard(found);
            await record.written(found.id);
            return found.id;
          }
          await record.pending();
          const created = await keap.createProduct({
            name: item.name,
            sku,
            price: item.unitAmount,
            short_description: item.name,
            active: true,
          });
          heard(created);
          await record.written(created.id);
          return created.id;
        }));
    }
    return ids;
  }
}

export function productActivities(access: KeapAccess, products: KeapProducts) {
  return {
    /** Finds each SKU's Keap product, creating it at the charged price if missing. Safe to retry. */
    async ensureProducts({ accountId, items }: EnsureProductsInput): Promise<ProductIdsBySku> {
      return access.run(accountId, (session) => products.resolve(session, accountId, items));
    },
  };
}
