/**
 * Checkout (product) domain shared by the API, the store, activities and workflows: the stored shapes,
 * the sync status, and how a checkout maps to a Keap product. Deterministic and
 * dependency-free (types only from the schema module), so it is safe inside Temporal's workflow sandbox.
 */
import type { Interval, PaymentPlan, SubscriptionPlan } from '../orders/order-schema';

export type CheckoutPricing = { type: 'one_time'; amount: number } | PaymentPlan | SubscriptionPlan;

/** A checkout as the platform published it (checkouts/checkout-schema.ts validates it). Money in minor units. */
export interface CheckoutDefinition {
  name: string;
  sku?: string;
  description?: string;
  currency: string;
  pricing: CheckoutPricing;
  active: boolean;
}

/**
 * Where a checkout's Keap product stands; mirrored into the SalesSyncStatus search attribute.
 * - Pending: a published version has not been synced yet (or is being synced);
 * - Synced: Keap's product matches the latest version; Deactivated: likewise, and it is inactive;
 * - NotSynced: Sales Sync is off for the account, nothing was written (publish again once it is on);
 * - NeedsAttention: Keap rejected a write; the error is shown, and a publish or `resume` retries.
 */
export type CheckoutSyncStatus = 'Pending' | 'Synced' | 'Deactivated' | 'NotSynced' | 'NeedsAttention';

/** The latest published definition of a checkout, with its version (1, 2, … one per publish). */
export interface StoredCheckout {
  accountId: string;
  checkoutId: string;
  version: number;
  /** The SKU of its Keap product: the definition's own, or the derived one. */
  sku: string;
  skuDerived: boolean;
  definition: CheckoutDefinition;
  publishedAt: string;
  firstPublishedAt: string;
}

/** What the last sync of a checkout did (written by the worker only). */
export interface CheckoutSyncRecord {
  /** The checkout version this outcome is about. */
  version: number;
  outcome: Exclude<CheckoutSyncStatus, 'Pending'>;
  /** The last version written to Keap (0: never). */
  syncedVersion: number;
  keapProductId?: string;
  keapSubscriptionPlanId?: string;
  /** The Keap product's price, minor units. */
  keapPrice?: number;
  /** Why NotSynced, or Keap's rejection for NeedsAttention. */
  reason?: string;
  at: string;
}

/** What GET /v1/accounts/:a/checkouts/:c answers: the stored checkout plus its sync state. */
export interface CheckoutView extends CheckoutDefinition {
  accountId: string;
  checkoutId: string;
  workflowId: string;
  sku: string;
  skuDerived: boolean;
  version: number;
  publishedAt: string;
  status: CheckoutSyncStatus;
  statusReason?: string;
  /** The last version written to Keap (0: never). */
  syncedVersion: number;
  keapProductId?: string;
  keapSubscriptionPlanId?: string;
  keapPrice?: number;
  lastError?: string;
  syncedAt?: string;
}

export function checkoutStatus(stored: StoredCheckout, sync: CheckoutSyncRecord | undefined): CheckoutSyncStatus {
  return !sync || sync.version < stored.version ? 'Pending' : sync.outcome;
}

/** The view of a stored checkout; `workflowId` is its workflow's (checkouts/workflow/definitions.ts names it). */
export function checkoutView(
  stored: StoredCheckout,
  sync: CheckoutSyncRecord | undefined,
  workflowId: string,
): CheckoutView {
  const status = checkoutStatus(stored, sync);
  const view: CheckoutView = {
    accountId: stored.accountId,
    checkoutId: stored.checkoutId,
    workflowId,
    ...stored.definition,
    sku: stored.sku,
    skuDerived: stored.skuDerived,
    version: stored.version,
    publishedAt: stored.publishedAt,
    status,
    syncedVersion: sync?.syncedVersion ?? 0,
  };
  if (status === 'NotSynced' && sync?.reason) view.statusReason = sync.reason;
  if (sync?.keapProductId) view.keapProductId = sync.keapProductId;
  if (sync?.keapSubscriptionPlanId) view.keapSubscriptionPlanId = sync.keapSubscriptionPlanId;
  if (sync?.keapPrice !== undefined) view.keapPrice = sync.keapPrice;
  if (sync?.outcome === 'NeedsAttention' && sync.reason) view.lastError = sync.reason;
  if (sync) view.syncedAt = sync.at;
  return view;
}

/**
 * The Keap product's price, in minor units (Keap v2 product prices are minor units): a one-time
 * checkout its amount, a payment plan its full total (Keap's order for it carries the total too), a
 * subscription 0, as Sales Sync has always shown them; the subscription plan carries the real price.
 */
export function keapProductPrice(pricing: CheckoutPricing): number {
  switch (pricing.type) {
    case 'one_time':
      return pricing.amount;
    case 'payment_plan':
      return pricing.installments * pricing.installmentAmount;
    case 'subscription':
      return 0;
  }
}

export type KeapCycleType = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';

export const KEAP_CYCLE_TYPE: Readonly<Record<Interval, KeapCycleType>> = {
  day: 'DAILY',
  week: 'WEEKLY',
  month: 'MONTHLY',
  year: 'YEARLY',
};

/** Keap's short_description holds at most this many characters. */
export const SHORT_DESCRIPTION_MAX = 250;

/**
 * Keap's required short description: the checkout's description (or, without one, its name) on one
 * line, cut at a word boundary to 250 characters with an ellipsis.
 */
export function keapShortDescription(definition: Pick<CheckoutDefinition, 'name' | 'description'>): string {
  const text = (definition.description ?? definition.name).replace(/\s+/g, ' ').trim();
  const chars = Array.from(text); // code points, so a cut never splits a surrogate pair
  if (chars.length <= SHORT_DESCRIPTION_MAX) return text;
  const cut = chars.slice(0, SHORT_DESCRIPTION_MAX - 1).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > SHORT_DESCRIPTION_MAX / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** e.g. "$29.00 every 1 month(s)", for summaries. */
export function describePricing(pricing: CheckoutPricing, money: (minor: number) => string): string {
  switch (pricing.type) {
    case 'one_time':
      return money(pricing.amount);
    case 'payment_plan':
      return `${pricing.installments} × ${money(pricing.installmentAmount)} every ${pricing.intervalCount} ${pricing.interval}(s)`;
    case 'subscription':
      return `${money(pricing.amount)} every ${pricing.intervalCount} ${pricing.interval}(s)`;
  }
}
