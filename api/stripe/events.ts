/**
 * Stripe webhook events → order events. A pure function over an event whose signature has already
 * been verified: it validates only the fields Sales Sync reads (other fields are accepted and
 * dropped), finds the order through the metadata the checkout platform sets on Stripe objects, and
 * maps the event to an OrderEvent. Whatever it cannot use (another event type, no or bad metadata,
 * an unexpected shape) comes back as `{ ignored: reason }`: a well-signed event never throws.
 *
 * Shapes follow stripe-node 23.x's types at API version 2026-10-28.endive (see ./version.ts); a
 * compile-time check below proves every object stripe-node types passes our schemas.
 */
import type Stripe from 'stripe';
import { z } from 'zod';
import { STRIPE_METADATA_KEYS } from '../../orders/order-events';
import type { OrderEvent, PaymentSequence } from '../../orders/order-events';
import { KEAP_FILTER_SAFE, KEAP_FILTER_SAFE_MESSAGE, resourceIdSchema } from '../../orders/order-schema';

export interface RoutedStripeEvent {
  accountId: string;
  orderId: string;
  /** Stripe's event id (evt_...), for logs. Dedupe by the order event's own id (payment/refund id). */
  eventId: string;
  eventType: string;
  event: OrderEvent;
}

export type StripeEventRoute = { routed: RoutedStripeEvent } | { ignored: string };

/** The event types routeStripeEvent maps: the ones to enable on the Stripe webhook endpoint. */
export const STRIPE_EVENT_TYPES = [
  'invoice.paid',
  'invoice.payment_failed',
  'customer.subscription.deleted',
  'charge.refunded',
  'refund.created',
  'payment_intent.succeeded',
] as const;

// ---- Shapes: only the fields we read. z.object accepts unknown keys and drops them, which also
// keeps customer PII (emails, addresses) out of what we hand on.

/**
 * Stripe's ids are letters, digits and "_"; one that is not reaches Keap as a payment id (a renewal's
 * order key, looked up through Keap's filter) only if it passes the same rule as the API's payment ids.
 */
const stripeId = z.string().min(1).max(255).regex(KEAP_FILTER_SAFE, KEAP_FILTER_SAFE_MESSAGE);
/** Seconds since the epoch, bounded so that turning one into an ISO date can never throw. */
const epochSeconds = z.number().int().min(0).max(253_402_300_799);
const minorUnits = z.number().int().nonnegative();
const currency = z.string().regex(/^[A-Za-z]{3}$/, 'must be a three-letter currency code');
const metadata = z.record(z.string(), z.unknown()).nullish();
/** A reference that may arrive as an id or, expanded, as the object. */
const expandable = z.union([stripeId, z.object({ id: stripeId })]).nullish();

const eventEnvelope = z.object({
  id: stripeId,
  type: z.string().min(1),
  created: epochSeconds,
  data: z.object({ object: z.unknown() }),
});

const invoiceBase = z.object({
  id: stripeId,
  currency,
  metadata,
  /** Since API version 2025-03-31.basil the subscription, with its metadata, is the invoice's parent. */
  parent: z.object({ subscription_details: z.object({ metadata }).nullish() }).nullish(),
  /** Before basil: endpoints still on an older API version send it here (not in stripe-node 23's types). */
  subscription_details: z.object({ metadata }).nullish(),
});

const paidInvoice = invoiceBase.extend({
  amount_paid: minorUnits,
  billing_reason: z.string().nullish(),
  status_transitions: z.object({ paid_at: epochSeconds.nullish() }).nullish(),
});

const failedInvoice = invoiceBase.extend({
  amount_due: minorUnits,
  attempt_count: z.number().int().nonnegative().nullish(),
  next_payment_attempt: epochSeconds.nullish(),
  last_finalization_error: z.object({ message: z.string().nullish() }).nullish(),
});

const subscription = z.object({
  id: stripeId,
  metadata,
  canceled_at: epochSeconds.nullish(),
  ended_at: epochSeconds.nullish(),
  cancellation_details: z.object({ reason: z.string().nullish() }).nullish(),
});

const chargeRefund = z.object({ id: stripeId, amount: minorUnits, created: epochSeconds });

const charge = z.object({
  id: stripeId,
  amount_refunded: minorUnits,
  currency,
  payment_intent: expandable,
  metadata,
  /** Only present when expanded (API versions since 2022-11-15 leave it out of webhooks); newest first. */
  refunds: z.object({ data: z.array(chargeRefund) }).nullish(),
});

const refund = z.object({
  id: stripeId,
  amount: minorUnits,
  currency,
  created: epochSeconds,
  payment_intent: expandable,
  metadata,
  status: z.string().nullish(),
});

const paymentIntent = z.object({ id: stripeId, amount_received: minorUnits, currency, metadata });

/**
 * Compile-time proof against stripe-node's types: every object stripe-node types as T passes schema S
 * (same names, compatible types), and S reads no top-level field T lacks (Extra: known exceptions).
 */
type StripeShape<S extends z.ZodType, T extends z.input<S>, Extra extends PropertyKey = never> = [
  Exclude<keyof z.input<S>, keyof T | Extra>,
] extends [never]
  ? true
  : { fieldsStripeNodeLacks: Exclude<keyof z.input<S>, keyof T | Extra> };
type Assert<_T extends true> = true;
type _ShapesMatchStripeNode = [
  Assert<StripeShape<typeof eventEnvelope, Stripe.Event>>,
  Assert<StripeShape<typeof paidInvoice, Stripe.InvoicePaidEvent['data']['object'], 'subscription_details'>>,
  Assert<StripeShape<typeof failedInvoice, Stripe.InvoicePaymentFailedEvent['data']['object'], 'subscription_details'>>,
  Assert<StripeShape<typeof subscription, Stripe.CustomerSubscriptionDeletedEvent['data']['object']>>,
  Assert<StripeShape<typeof charge, Stripe.ChargeRefundedEvent['data']['object']>>,
  Assert<StripeShape<typeof refund, Stripe.RefundCreatedEvent['data']['object']>>,
  Assert<StripeShape<typeof paymentIntent, Stripe.PaymentIntentSucceededEvent['data']['object']>>,
];

// ---- Routing by metadata.

type Metadata = z.output<typeof metadata>;
interface MetadataSource {
  where: string;
  metadata: Metadata;
}
type Route = { accountId: string; orderId: string } | { ignored: string };

const has = (bag: Metadata, key: string): boolean => bag != null && Object.hasOwn(bag, key);

/** The first source carrying either key decides; both ids must then be there and valid (no mixing sources). */
function routeByMetadata(sources: MetadataSource[]): Route {
  const { accountId: accountKey, orderId: orderKey } = STRIPE_METADATA_KEYS;
  const found = sources.find((s) => has(s.metadata, accountKey) || has(s.metadata, orderKey));
  if (!found?.metadata) {
    const places = sources.map((s) => s.where).join(', ');
    return { ignored: `no ${accountKey} / ${orderKey} metadata at ${places}: not a Sales Sync order` };
  }
  const accountId = resourceIdSchema.safeParse(found.metadata[accountKey]);
  const orderId = resourceIdSchema.safeParse(found.metadata[orderKey]);
  if (accountId.success && orderId.success) return { accountId: accountId.data, orderId: orderId.data };
  const problem = (key: string, valid: boolean): string[] =>
    valid ? [] : [`${key} is ${has(found.metadata, key) ? 'not a valid id' : 'missing'}`];
  const problems = [...problem(accountKey, accountId.success), ...problem(orderKey, orderId.success)];
  return {
    ignored: `${found.where}: ${problems.join(' and ')} (ids are 1-100 letters, digits, "_", "." or "-", starting with a letter or digit)`,
  };
}

const invoiceMetadata = (invoice: z.output<typeof invoiceBase>): MetadataSource[] => [
  { where: 'invoice.parent.subscription_details.metadata', metadata: invoice.parent?.subscription_details?.metadata },
  { where: 'invoice.subscription_details.metadata', metadata: invoice.subscription_details?.metadata },
  { where: 'invoice.metadata', metadata: invoice.metadata },
];

// ---- Mapping.

const iso = (epoch: number): string => new Date(epoch * 1000).toISOString();
const idOf = (ref: z.output<typeof expandable>): string | undefined => (typeof ref === 'string' ? ref : ref?.id);

function sequenceOf(billingReason: string | null | undefined): PaymentSequence {
  switch (billingReason) {
    case 'subscription_create':
      return 'initial';
    case 'subscription_cycle':
      return 'recurring';
    default:
      return 'unknown';
  }
}

type Mapped = OrderEvent | { ignored: string };
type Mapper = (object: unknown, eventCreated: number) => { route: Route; event: Mapped } | { ignored: string };

function describeIssues(error: z.ZodError, prefix: string): string {
  const shown = error.issues
    .slice(0, 5)
    .map((issue) => `${[prefix, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  const more = error.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

function mapper<S extends z.ZodType>(spec: {
  noun: string;
  schema: S;
  metadata: (object: z.output<S>) => MetadataSource[];
  toEvent: (object: z.output<S>, eventCreated: number) => Mapped;
}): Mapper {
  return (object, eventCreated) => {
    const parsed = spec.schema.safeParse(object);
    if (!parsed.success) {
      return { ignored: `the ${spec.noun} is not shaped as expected (${describeIssues(parsed.error, 'data.object')})` };
    }
    return { route: routeByMetadata(spec.metadata(parsed.data)), event: spec.toEvent(parsed.data, eventCreated) };
  };
}

const MAPPERS: ReadonlyMap<string, Mapper> = new Map<(typeof STRIPE_EVENT_TYPES)[number], Mapper>([
  [
    'invoice.paid',
    mapper({
      noun: 'invoice',
      schema: paidInvoice,
      metadata: invoiceMetadata,
      toEvent: (invoice, eventCreated) =>
        invoice.amount_paid === 0
          ? { ignored: `invoice ${invoice.id} paid nothing (amount_paid 0: a trial or fully discounted invoice)` }
          : {
              kind: 'payment',
              payment: {
                id: invoice.id,
                amount: invoice.amount_paid,
                currency: invoice.currency.toUpperCase(),
                paidAt: iso(invoice.status_transitions?.paid_at ?? eventCreated),
                sequence: sequenceOf(invoice.billing_reason),
                source: 'stripe',
              },
            },
    }),
  ],
  [
    'invoice.payment_failed',
    mapper({
      noun: 'invoice',
      schema: failedInvoice,
      metadata: invoiceMetadata,
      toEvent: (invoice, eventCreated) => {
        const reason = invoice.last_finalization_error?.message;
        return {
          kind: 'payment_failed',
          failure: {
            id: invoice.id,
            amount: invoice.amount_due,
            currency: invoice.currency.toUpperCase(),
            failedAt: iso(eventCreated),
            ...(invoice.attempt_count != null ? { attempt: invoice.attempt_count } : {}),
            ...(invoice.next_payment_attempt != null ? { nextAttemptAt: iso(invoice.next_payment_attempt) } : {}),
            ...(reason ? { reason } : {}),
            source: 'stripe',
          },
        };
      },
    }),
  ],
  [
    'customer.subscription.deleted',
    mapper({
      noun: 'subscription',
      schema: subscription,
      metadata: (sub) => [{ where: 'subscription.metadata', metadata: sub.metadata }],
      toEvent: (sub, eventCreated) => {
        const reason = sub.cancellation_details?.reason;
        return {
          kind: 'cancelled',
          cancellation: {
            at: iso(sub.canceled_at ?? sub.ended_at ?? eventCreated),
            ...(reason ? { reason } : {}),
            source: 'stripe',
          },
        };
      },
    }),
  ],
  [
    'charge.refunded',
    mapper({
      noun: 'charge',
      schema: charge,
      metadata: (ch) => [{ where: 'charge.metadata', metadata: ch.metadata }],
      toEvent: (ch, eventCreated) => {
        // With the refund list (expanded), the event is about its newest refund: that refund's id and
        // amount, so it agrees with refund.created for the same refund. Without it, the charge id and
        // the total refunded on the charge so far.
        const latest = ch.refunds?.data[0];
        const paymentId = idOf(ch.payment_intent);
        return {
          kind: 'refund',
          refund: {
            id: latest?.id ?? ch.id,
            ...(paymentId ? { paymentId } : {}),
            amount: latest ? latest.amount : ch.amount_refunded,
            currency: ch.currency.toUpperCase(),
            at: iso(latest?.created ?? eventCreated),
            source: 'stripe',
          },
        };
      },
    }),
  ],
  [
    'refund.created',
    mapper({
      noun: 'refund',
      schema: refund,
      metadata: (re) => [{ where: 'refund.metadata', metadata: re.metadata }],
      toEvent: (re) => {
        if (re.status === 'failed' || re.status === 'canceled') {
          return { ignored: `refund ${re.id} is ${re.status}: no money went back` };
        }
        const paymentId = idOf(re.payment_intent);
        return {
          kind: 'refund',
          refund: {
            id: re.id,
            ...(paymentId ? { paymentId } : {}),
            amount: re.amount,
            currency: re.currency.toUpperCase(),
            at: iso(re.created),
            source: 'stripe',
          },
        };
      },
    }),
  ],
  [
    // A backup path: one-time orders normally arrive through the platform API with this same payment id.
    'payment_intent.succeeded',
    mapper({
      noun: 'payment intent',
      schema: paymentIntent,
      metadata: (pi) => [{ where: 'payment_intent.metadata', metadata: pi.metadata }],
      toEvent: (pi, eventCreated) =>
        pi.amount_received === 0
          ? { ignored: `payment intent ${pi.id} received nothing (amount_received 0)` }
          : {
              kind: 'payment',
              payment: {
                id: pi.id,
                amount: pi.amount_received,
                currency: pi.currency.toUpperCase(),
                paidAt: iso(eventCreated),
                sequence: 'unknown',
                source: 'stripe',
              },
            },
    }),
  ],
]);

/** Maps a signature-verified Stripe event to the order event it means, or says why it is ignored. */
export function routeStripeEvent(event: unknown): StripeEventRoute {
  const envelope = eventEnvelope.safeParse(event);
  if (!envelope.success) return { ignored: `not a Stripe event (${describeIssues(envelope.error, 'event')})` };
  const { id: eventId, type: eventType, created, data } = envelope.data;
  const map = MAPPERS.get(eventType);
  if (!map) return { ignored: `event type ${eventType} is not one Sales Sync handles` };
  const mapped = map(data.object, created);
  if ('ignored' in mapped) return mapped;
  if ('ignored' in mapped.route) return mapped.route;
  if ('ignored' in mapped.event) return mapped.event;
  return { routed: { ...mapped.route, eventId, eventType, event: mapped.event } };
}
