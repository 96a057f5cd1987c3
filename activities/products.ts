import type { KeapAccess } from './keap-access';

export interface EnsureProductsInput {
  accountId: string;
  items: { sku: string; name: string; unitAmount: number }[];
}

/** Keap product id per SKU. */
export type ProductIdsBySku = Record<string, string>;

/**
 * Product ids rarely change, so a worker remembers them per Keap app and SKU for a while: repeat
 * orders cost no product calls, and a product deleted in Keap is looked up afresh after the TTL.
 * Concurrent lookups of one SKU share one promise, so two orders for a new product in this worker
 * create it once.
 */
class ProductIdCache {
  private readonly entries = new Map<string, { id: Promise<string>; expires: number }>();

  constructor(private readonly ttlMs: number) {}

  get(key: string, load: () => Promise<string>): Promise<string> {
    const now = Date.now();
    const entry = this.entries.get(key);
    if (entry && entry.expires > now) return entry.id;
    const id = load();
    this.entries.set(key, { id, expires: now + this.ttlMs });
    id.catch(() => this.entries.delete(key));
    return id;
  }
}

export function productActivities(access: KeapAccess, cacheTtlMs = 10 * 60_000) {
  const cache = new ProductIdCache(cacheTtlMs);
  return {
    /** Finds each SKU's Keap product, creating it at the charged price if missing. Safe to retry. */
    async ensureProducts({ accountId, items }: EnsureProductsInput): Promise<ProductIdsBySku> {
      return access.run(accountId, async ({ keap, appKey }) => {
        const bySku = new Map(items.map((item) => [item.sku, item]));
        const ids: ProductIdsBySku = {};
        for (const [sku, item] of bySku) {
          ids[sku] = await cache.get(`${appKey}|${sku}`, async () => {
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
      });
    },
  };
}
