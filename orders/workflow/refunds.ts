/**
 * Refunds are recorded in the lifecycle (state only): Keap's API has no refund endpoint.
 */
import type { OrderLifecycle } from '../order';
import type { RefundEvent } from '../order-events';
import { nowIso } from '../../workflows/support/time';

/** Stripe's charge.refunded repeats the charge id with a running total: keep the largest. */
export function recordRefund(lifecycle: OrderLifecycle, refund: RefundEvent): void {
  const known = lifecycle.refunds.find((r) => r.id === refund.id);
  if (known) {
    if (refund.amount <= known.amount) return;
    known.amount = refund.amount;
    known.at = refund.at;
  } else {
    lifecycle.refunds.push(refund);
  }
  lifecycle.updatedAt = nowIso();
}
