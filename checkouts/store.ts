/** Where published checkouts and their sync results live; see postgres-store.ts for the one implementation. */
import type { CheckoutDefinition, CheckoutSyncRecord, StoredCheckout } from './checkout';

export interface PublishInput {
  definition: CheckoutDefinition;
  sku: string;
  skuDerived: boolean;
  publishedAt: string;
}

/**
 * Per account and checkout: the latest published definition with a version that grows by one per
 * publish (written by the API), and the result of the latest sync (written by the worker). The two
 * have one writer each, so neither can overwrite the other's news.
 */
export interface CheckoutStore {
  /** Stores a new published definition as the next version and returns it. */
  publish(accountId: string, checkoutId: string, input: PublishInput): Promise<StoredCheckout>;
  get(accountId: string, checkoutId: string): Promise<StoredCheckout | undefined>;
  /** The account's checkout ids, in code-unit order. */
  listIds(accountId: string): Promise<string[]>;
  getSync(accountId: string, checkoutId: string): Promise<CheckoutSyncRecord | undefined>;
  putSync(accountId: string, checkoutId: string, record: CheckoutSyncRecord): Promise<void>;
}
