/**
 * Patch ids of versioned workflow changes (README "Changing workflows"). Workflows that started
 * before a change replay its old branch; keep that branch until none of them can still be running,
 * then `deprecatePatch`.
 */

/**
 * One `writeKeapSale` activity per sale (products, contact, order and payment) instead of four, and no
 * `Syncing` search-attribute upsert (the start already says `Received`). Cuts a one-time order from
 * 8 Temporal actions and 5 workflow tasks to 4 and 2.
 */
export const ONE_ACTIVITY_PER_SALE = 'one-activity-per-sale';
// Replay-only while ONE_ACTIVITY_PER_SALE's old branch is kept (orders/workflow/keap-writes.ts): the
// activities `ensureProducts` and `createKeapOrder`, and the searchable `Syncing` status.

/**
 * Payments still queued when a plan or subscription is cancelled are recorded (a final invoice Stripe
 * delivered with, or just after, the cancellation is money received), not listed as ignored.
 */
export const PAYMENTS_QUEUED_AT_CANCEL_RECORDED = 'payments-queued-at-cancel-recorded';

/**
 * A step waiting for a Keap reconnect re-checks after 15 minutes doubling to 12 hours (was every 15
 * minutes), changes no search attribute between re-checks (the status stays WaitingForReconnect until
 * the step's outcome is known), and an order's wait continues as new when its history grows, carrying
 * the parked step (orders/workflow/keap-writes.ts) while it is the first of its event's handling: a
 * year of waiting is ~730 re-checks (~8,000 events, in runs of at most ~1,000 where the step can be
 * carried), not ~1,300 events a day until Temporal terminates the workflow.
 */
export const RECONNECT_BACKOFF = 'reconnect-backoff';
// Replay-only while RECONNECT_BACKOFF's old branch is kept (orders/workflow/keap-writes.ts, KeapWrites.step).
