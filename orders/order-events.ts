/**
 * What can happen to an order after it is placed, whichever door it came through (the platform's
 * API or a Stripe webhook). Plain types: the API and webhooks produce them, the order workflow
 * consumes them as signals. All money in integer minor units.
 */

/** Where a payment sits in the order's schedule, when the source says (Stripe's billing_reason does). */
export type PaymentSequence = 'initial' | 'recurring' | 'unknown';

export interface PaymentEvent {
  /** The processor's id of the payment; dedupe key. Stripe: the invoice id for subscription and plan payments. */
  id: string;
  amount: number;
  currency?: string;
  paidAt: string;
  sequence: PaymentSequence;
  source: 'api' | 'stripe';
}

export interface PaymentFailureEvent {
  /** The failed payment's id (Stripe: the invoice id). */
  id: string;
  amount: number;
  currency?: string;
  failedAt: string;
  attempt?: number;
  nextAttemptAt?: string;
  reason?: string;
  source: 'api' | 'stripe';
}

export interface CancellationEvent {
  at: string;
  reason?: string;
  source: 'api' | 'stripe';
}

export interface RefundEvent {
  /** The refund's id (Stripe: re_... or the charge id for charge.refunded); dedupe key. */
  id: string;
  /** The refunded payment, when known. */
  paymentId?: string;
  amount: number;
  currency?: string;
  at: string;
  source: 'api' | 'stripe';
}

export type OrderEvent =
  | { kind: 'payment'; payment: PaymentEvent }
  | { kind: 'payment_failed'; failure: PaymentFailureEvent }
  | { kind: 'cancelled'; cancellation: CancellationEvent }
  | { kind: 'refund'; refund: RefundEvent };

/** Metadata keys the checkout platform sets on Stripe objects so webhooks find their order. */
export const STRIPE_METADATA_KEYS = { accountId: 'sales_sync_account_id', orderId: 'sales_sync_order_id' } as const;
