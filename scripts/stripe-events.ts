/**
 * Builds Stripe webhook events the way Stripe sends them (API version pinned in api/stripe/version.ts),
 * carrying Sales Sync's routing metadata, and signs them with the real stripe library. Used by the
 * end-to-end tests and by `npm run stripe:event` for trying Sales Sync by hand.
 */
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../api/stripe/version';
import { STRIPE_METADATA_KEYS } from '../orders/order-events';

export interface Routing {
  accountId: string;
  orderId: string;
}

const seconds = (iso?: string) => Math.floor((iso ? Date.parse(iso) : Date.now()) / 1000);

function metadata({ accountId, orderId }: Routing): Record<string, string> {
  return { [STRIPE_METADATA_KEYS.accountId]: accountId, [STRIPE_METADATA_KEYS.orderId]: orderId };
}

function envelope<T extends object>(type: string, object: T, createdIso?: string) {
  return {
    id: `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: seconds(createdIso),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

function invoice(
  routing: Routing,
  options: {
    invoiceId: string;
    amount: number;
    currency?: string;
    billingReason: string;
    atIso?: string;
    paid: boolean;
  },
) {
  const at = seconds(options.atIso);
  return {
    id: options.invoiceId,
    object: 'invoice',
    amount_due: options.amount,
    amount_paid: options.paid ? options.amount : 0,
    amount_remaining: options.paid ? 0 : options.amount,
    attempt_count: 1,
    attempted: true,
    billing_reason: options.billingReason,
    collection_method: 'charge_automatically',
    created: at,
    currency: (options.currency ?? 'USD').toLowerCase(),
    customer: 'cus_sales_sync_demo',
    last_finalization_error: null,
    metadata: {},
    next_payment_attempt: options.paid ? null : at + 3 * 86_400,
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { metadata: metadata(routing), subscription: `sub_${routing.orderId}` },
    },
    status: options.paid ? 'paid' : 'open',
    status_transitions: {
      finalized_at: at,
      marked_uncollectible_at: null,
      paid_at: options.paid ? at : null,
      voided_at: null,
    },
    total: options.amount,
  };
}

export function invoicePaid(
  routing: Routing,
  options: {
    invoiceId: string;
    amount: number;
    currency?: string;
    billingReason?: 'subscription_create' | 'subscription_cycle' | 'manual';
    paidAt?: string;
  },
) {
  const object = invoice(routing, {
    ...options,
    billingReason: options.billingReason ?? 'subscription_cycle',
    atIso: options.paidAt,
    paid: true,
  });
  return envelope('invoice.paid', object, options.paidAt);
}

export function invoicePaymentFailed(
  routing: Routing,
  options: { invoiceId: string; amount: number; currency?: string; failedAt?: string },
) {
  const object = invoice(routing, {
    ...options,
    billingReason: 'subscription_cycle',
    atIso: options.failedAt,
    paid: false,
  });
  return envelope('invoice.payment_failed', object, options.failedAt);
}

export function subscriptionDeleted(routing: Routing, options: { canceledAt?: string } = {}) {
  const at = seconds(options.canceledAt);
  return envelope(
    'customer.subscription.deleted',
    {
      id: `sub_${routing.orderId}`,
      object: 'subscription',
      status: 'canceled',
      canceled_at: at,
      ended_at: at,
      cancellation_details: { reason: 'cancellation_requested', comment: null, feedback: null },
      metadata: metadata(routing),
    },
    options.canceledAt,
  );
}

export function refundCreated(
  routing: Routing,
  options: { refundId: string; paymentIntent: string; amount: number; currency?: string; createdAt?: string },
) {
  return envelope(
    'refund.created',
    {
      id: options.refundId,
      object: 'refund',
      amount: options.amount,
      currency: (options.currency ?? 'USD').toLowerCase(),
      created: seconds(options.createdAt),
      payment_intent: options.paymentIntent,
      metadata: metadata(routing),
      status: 'succeeded',
    },
    options.createdAt,
  );
}

/** The body and Stripe-Signature header Stripe would send; `timestamp` (seconds) backdates the signature. */
export function signEvent(event: object, secret: string, timestamp?: number): { body: string; signature: string } {
  const body = JSON.stringify(event);
  const stripe = new Stripe('sk_test_signing_only', { apiVersion: STRIPE_API_VERSION });
  return { body, signature: stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }) };
}
