/**
 * The Stripe events of the chaos traffic that scripts/stripe-events.ts does not build: a refund
 * (`refund.created`, or `charge.refunded` with its refund list expanded, which route to the same
 * refund id) and a one-time order's `payment_intent.succeeded`, shaped as Stripe sends them at the
 * pinned API version and carrying Sales Sync's routing metadata.
 */
import { createHash } from 'node:crypto';
import { STRIPE_API_VERSION } from '../../api/stripe/version';
import { STRIPE_METADATA_KEYS } from '../../orders/order-events';
import type { Routing } from '../../scripts/stripe-events';

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function metadata({ accountId, orderId }: Routing): Record<string, string> {
  return { [STRIPE_METADATA_KEYS.accountId]: accountId, [STRIPE_METADATA_KEYS.orderId]: orderId };
}

/** A stable event id per (type, object id): a redelivery of the same event carries the same id, as Stripe's do. */
function eventId(type: string, objectId: string): string {
  return `evt_${createHash('sha256').update(`${type}\n${objectId}`).digest('hex').slice(0, 24)}`;
}

function envelope(type: string, objectId: string, object: object, atIso: string) {
  return {
    id: eventId(type, objectId),
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: seconds(atIso),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

export interface RefundSpec {
  refundId: string;
  /** The payment intent refunded (the one-time order's payment id). */
  paymentIntent: string;
  amount: number;
  currency: string;
  atIso: string;
}

export function refundCreated(routing: Routing, r: RefundSpec) {
  return envelope(
    'refund.created',
    r.refundId,
    {
      id: r.refundId,
      object: 'refund',
      amount: r.amount,
      currency: r.currency.toLowerCase(),
      created: seconds(r.atIso),
      payment_intent: r.paymentIntent,
      metadata: metadata(routing),
      status: 'succeeded',
    },
    r.atIso,
  );
}

/** `charge.refunded` with `refunds` expanded: routed to its newest refund, the same id refund.created carries. */
export function chargeRefunded(routing: Routing, r: RefundSpec & { chargeAmount: number }) {
  const chargeId = `ch_${r.paymentIntent.replace(/^pi_/, '')}`;
  return envelope(
    'charge.refunded',
    `${chargeId}:${r.refundId}`,
    {
      id: chargeId,
      object: 'charge',
      amount: r.chargeAmount,
      amount_refunded: r.amount,
      currency: r.currency.toLowerCase(),
      payment_intent: r.paymentIntent,
      metadata: metadata(routing),
      refunded: r.amount === r.chargeAmount,
      refunds: {
        object: 'list',
        data: [{ id: r.refundId, object: 'refund', amount: r.amount, created: seconds(r.atIso) }],
        has_more: false,
      },
    },
    r.atIso,
  );
}

/** A one-time order's payment as Stripe reports it (the backup path to the platform's order POST). */
export function paymentIntentSucceeded(
  routing: Routing,
  p: { paymentIntent: string; amount: number; currency: string; atIso: string },
) {
  return envelope(
    'payment_intent.succeeded',
    p.paymentIntent,
    {
      id: p.paymentIntent,
      object: 'payment_intent',
      amount: p.amount,
      amount_received: p.amount,
      currency: p.currency.toLowerCase(),
      metadata: metadata(routing),
      status: 'succeeded',
    },
    p.atIso,
  );
}
