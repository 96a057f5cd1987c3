import { ApplicationFailure } from '@temporalio/common';
import type { CheckoutStore } from '../../checkouts/store';
import type { KeapAccess, KeapSession } from '../../activities/keap-access';
import { PromiseCache } from '../../activities/promise-cache';

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
 * Keap product ids for order lines, shared by the activities that need them: one cache per worker,
 * so repeat orders for a SKU cost no Keap call.
 */
export class KeapProducts {
  // Product ids rarely change; a product deleted in Keap is looked up afresh after the TTL.
  private readonly cache: PromiseCache<string>;

  constructor(
    private readonly checkouts?: CheckoutStore,
    cacheTtlMs = 10 * 60_000,
  ) {
    this.cache = new PromiseCache<string>(cacheTtlMs);
  }

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

  /** Finds each SKU's Keap product, creating it at the charged price if missing. Safe to retry. */
  async resolve(
    { keap, appKey }: Pick<KeapSession, 'keap' | 'appKey'>,
    accountId: string,
    items: EnsureProductsInput['items'],
  ): Promise<ProductIdsBySku> {
    const bySku = new Map(items.map((item) => [item.sku, item]));
    const ids: ProductIdsBySku = {};
    for (const [sku, item] of bySku) {
      if (item.checkoutId !== undefined) {
        ids[sku] = await this.checkoutProduct(accountId, item.checkoutId);
        continue;
      }
      ids[sku] = await this.cache.get(`${appKey}|${sku}`, async () => {
        const found = await keap.findProductBySku(sku);
        if (found) return found.id;
        const created = await keap.createProduct({
          name: item.name,
          sku,
          price: item.unitAmount,
          short_description: item.name,
          active: true,
        });
        return created.id;
      });
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
