/**
 * Stripe webhooks: routeStripeEvent on realistic payloads (typed against stripe-node's own types), and
 * the POST /webhooks/stripe router over real HTTP, signed with stripe-node's test header helper.
 */
import { strict as assert } from 'node:assert';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import pino from 'pino';
import Stripe from 'stripe';
import { errorHandler } from '../api/errors';
import { routeStripeEvent, STRIPE_EVENT_TYPES } from '../api/stripe/events';
import type { RoutedStripeEvent } from '../api/stripe/events';
import { STRIPE_API_VERSION } from '../api/stripe/version';
import { stripeWebhookRouter } from '../api/stripe/webhook-route';
import type { OrderEvent } from '../orders/order-events';

/** Fixtures are checked against stripe-node's types: a misspelt or misplaced field fails to compile. */
type DeepPartial<T> = T extends (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | null }
    : T;
type EventType = Stripe.Event['type'];
type StripeObject<T extends EventType> = DeepPartial<Extract<Stripe.Event, { type: T }>['data']['object']>;

const ACCOUNT = 'acct-demo';
const ORDER = 'ord_1001';
const ROUTING = { sales_sync_account_id: ACCOUNT, sales_sync_order_id: ORDER };
const T_CREATED = 1_795_000_000; // 2026-11-17T...Z
const T_PAID = 1_795_000_060;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

let eventSeq = 0;
function stripeEvent<T extends EventType>(type: T, object: StripeObject<T>, extra: DeepPartial<Stripe.EventBase> = {}) {
  const envelope = {
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: T_CREATED,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: 'a8c3f0e2-idem' },
    ...extra,
  } satisfies DeepPartial<Stripe.EventBase>;
  return { id: `evt_test_${++eventSeq}`, ...envelope, type, data: { object } };
}

function invoice(overrides: StripeObject<'invoice.paid'> = {}): StripeObject<'invoice.paid'> {
  return {
    id: 'in_1QabcInvoice',
    object: 'invoice',
    account_country: 'US',
    amount_due: 2900,
    amount_paid: 2900,
    amount_remaining: 0,
    attempt_count: 1,
    attempted: true,
    billing_reason: 'subscription_create',
    collection_method: 'charge_automatically',
    created: T_CREATED - 5,
    currency: 'usd',
    customer: 'cus_Qabc',
    customer_email: 'ada@example.com',
    customer_name: 'Ada Lovelace',
    last_finalization_error: null,
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { metadata: { ...ROUTING }, subscription: 'sub_1Qabc' },
    },
    status: 'paid',
    status_transitions: {
      finalized_at: T_CREATED - 4,
      marked_uncollectible_at: null,
      paid_at: T_PAID,
      voided_at: null,
    },
    total: 2900,
    ...overrides,
  };
}

function routed(event: unknown): RoutedStripeEvent {
  const result = routeStripeEvent(event);
  if ('ignored' in result) assert.fail(`expected a routed event, got ignored: ${result.ignored}`);
  return result.routed;
}

function ignored(event: unknown): string {
  const result = routeStripeEvent(event);
  if ('routed' in result) assert.fail(`expected an ignored event, got ${JSON.stringify(result.routed)}`);
  return result.ignored;
}

describe('Stripe webhooks', () => {
  it('pins the same Stripe API version as stripe-node (a major bump must revisit api/stripe/events.ts)', () => {
    assert.equal(STRIPE_API_VERSION, Stripe.API_VERSION);
  });

  describe('routeStripeEvent', () => {
    describe('invoice.paid', () => {
      it('maps a first subscription invoice to an initial payment, routed by parent.subscription_details', () => {
        const event = stripeEvent('invoice.paid', invoice());
        assert.deepEqual(routed(event), {
          accountId: ACCOUNT,
          orderId: ORDER,
          eventId: event.id,
          eventType: 'invoice.paid',
          event: {
            kind: 'payment',
            payment: {
              id: 'in_1QabcInvoice',
              amount: 2900,
              currency: 'USD',
              paidAt: iso(T_PAID),
              sequence: 'initial',
              source: 'stripe',
            },
          } satisfies OrderEvent,
        });
      });

      it('maps billing_reason to the sequence and falls back to event.created without paid_at', () => {
        const sequenceOf = (billing_reason: string | null) => {
          const { event } = routed(stripeEvent('invoice.paid', invoice({ billing_reason })));
          assert.equal(event.kind, 'payment');
          return event.payment.sequence;
        };
        assert.equal(sequenceOf('subscription_cycle'), 'recurring');
        assert.equal(sequenceOf('subscription_update'), 'unknown');
        assert.equal(sequenceOf('manual'), 'unknown');
        assert.equal(sequenceOf(null), 'unknown');

        const noPaidAt = invoice({ status_transitions: { paid_at: null } });
        const { event } = routed(stripeEvent('invoice.paid', noPaidAt));
        assert.equal(event.kind === 'payment' && event.payment.paidAt, iso(T_CREATED));
      });

      it('finds the metadata at the legacy invoice.subscription_details (API versions before basil)', () => {
        // Not in stripe-node 23's types: this is how an endpoint pinned to an older version renders it.
        const legacy = {
          ...invoice({ parent: null }),
          subscription: 'sub_1Qabc',
          subscription_details: { metadata: { ...ROUTING } },
        };
        const result = routed(stripeEvent('invoice.paid', legacy, { api_version: '2024-06-20' }));
        assert.deepEqual([result.accountId, result.orderId], [ACCOUNT, ORDER]);
      });

      it('falls back to invoice.metadata, and prefers the subscription metadata when both are set', () => {
        const own = routed(stripeEvent('invoice.paid', invoice({ parent: null, metadata: { ...ROUTING } })));
        assert.deepEqual([own.accountId, own.orderId], [ACCOUNT, ORDER]);

        const both = invoice({
          metadata: { sales_sync_account_id: 'other-account', sales_sync_order_id: 'other-order' },
        });
        const result = routed(stripeEvent('invoice.paid', both));
        assert.deepEqual([result.accountId, result.orderId], [ACCOUNT, ORDER]);
      });

      it('ignores an invoice without Sales Sync metadata, naming where it looked', () => {
        const bare = invoice({
          parent: { type: 'subscription_details', subscription_details: { metadata: { plan: 'gold' } } },
        });
        const reason = ignored(stripeEvent('invoice.paid', bare));
        assert.match(reason, /no sales_sync_account_id \/ sales_sync_order_id metadata/);
        assert.match(reason, /invoice\.parent\.subscription_details\.metadata/);
        assert.match(reason, /invoice\.subscription_details\.metadata/);
        assert.match(reason, /invoice\.metadata/);
        assert.match(ignored(stripeEvent('invoice.paid', invoice({ parent: null, metadata: null }))), /not a Sales/);
      });

      it('ignores a trial invoice that paid nothing', () => {
        const trial = invoice({ amount_due: 0, amount_paid: 0, total: 0 });
        assert.match(ignored(stripeEvent('invoice.paid', trial)), /in_1QabcInvoice paid nothing.*trial/);
      });
    });

    it('ignores invalid or half-present ids, without mixing metadata from two places', () => {
      const withRouting = (metadata: Record<string, string>) =>
        stripeEvent(
          'invoice.paid',
          invoice({ parent: { subscription_details: { metadata } }, metadata: { ...ROUTING } }),
        );
      for (const [metadata, expected] of [
        [{ ...ROUTING, sales_sync_account_id: 'acct:1' }, /sales_sync_account_id is not a valid id/],
        [{ ...ROUTING, sales_sync_order_id: '../etc' }, /sales_sync_order_id is not a valid id/],
        [{ ...ROUTING, sales_sync_order_id: '' }, /sales_sync_order_id is not a valid id/],
        [{ ...ROUTING, sales_sync_order_id: 'o'.repeat(101) }, /sales_sync_order_id is not a valid id/],
        [{ ...ROUTING, sales_sync_order_id: '.hidden' }, /sales_sync_order_id is not a valid id/],
        [{ sales_sync_account_id: ACCOUNT }, /sales_sync_order_id is missing/],
        [{ sales_sync_order_id: ORDER }, /sales_sync_account_id is missing/],
        [
          { sales_sync_account_id: 'a b', sales_sync_order_id: 'x/y' },
          /sales_sync_account_id is not a valid id and sales_sync_order_id is not a valid id/,
        ],
      ] as const) {
        const reason = ignored(withRouting(metadata));
        assert.match(reason, expected, JSON.stringify(metadata));
        assert.match(reason, /^invoice\.parent\.subscription_details\.metadata: /);
      }
      assert.equal(routed(withRouting({ ...ROUTING, sales_sync_order_id: 'o'.repeat(100) })).orderId, 'o'.repeat(100));
    });

    it('maps invoice.payment_failed to a payment failure', () => {
      const failed = invoice({
        amount_paid: 0,
        amount_remaining: 2900,
        attempt_count: 2,
        billing_reason: 'subscription_cycle',
        next_payment_attempt: T_CREATED + 3 * 86_400,
        last_finalization_error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' },
        status: 'open',
        status_transitions: { paid_at: null },
      });
      const event = stripeEvent('invoice.payment_failed', failed);
      assert.deepEqual(routed(event), {
        accountId: ACCOUNT,
        orderId: ORDER,
        eventId: event.id,
        eventType: 'invoice.payment_failed',
        event: {
          kind: 'payment_failed',
          failure: {
            id: 'in_1QabcInvoice',
            amount: 2900,
            currency: 'USD',
            failedAt: iso(T_CREATED),
            attempt: 2,
            nextAttemptAt: iso(T_CREATED + 3 * 86_400),
            reason: 'Your card was declined.',
            source: 'stripe',
          },
        } satisfies OrderEvent,
      });

      const lastAttempt = routed(stripeEvent('invoice.payment_failed', { ...failed, last_finalization_error: null }));
      assert.deepEqual(lastAttempt.event, {
        kind: 'payment_failed',
        failure: {
          id: 'in_1QabcInvoice',
          amount: 2900,
          currency: 'USD',
          failedAt: iso(T_CREATED),
          attempt: 2,
          nextAttemptAt: iso(T_CREATED + 3 * 86_400),
          source: 'stripe',
        },
      });
      const noRetry = routed(stripeEvent('invoice.payment_failed', { ...failed, next_payment_attempt: null }));
      assert.equal(noRetry.event.kind === 'payment_failed' && 'nextAttemptAt' in noRetry.event.failure, false);
    });

    describe('customer.subscription.deleted', () => {
      const subscription = (overrides: StripeObject<'customer.subscription.deleted'> = {}) =>
        ({
          id: 'sub_1Qabc',
          object: 'subscription',
          customer: 'cus_Qabc',
          status: 'canceled',
          currency: 'usd',
          cancel_at_period_end: false,
          canceled_at: T_CREATED - 60,
          ended_at: T_CREATED - 30,
          cancellation_details: { comment: null, feedback: 'too_expensive', reason: 'cancellation_requested' },
          metadata: { ...ROUTING },
          ...overrides,
        }) satisfies StripeObject<'customer.subscription.deleted'>;

      it('maps to a cancellation routed by the subscription metadata', () => {
        const event = stripeEvent('customer.subscription.deleted', subscription());
        assert.deepEqual(routed(event), {
          accountId: ACCOUNT,
          orderId: ORDER,
          eventId: event.id,
          eventType: 'customer.subscription.deleted',
          event: {
            kind: 'cancelled',
            cancellation: { at: iso(T_CREATED - 60), reason: 'cancellation_requested', source: 'stripe' },
          } satisfies OrderEvent,
        });
      });

      it('takes the time from canceled_at, then ended_at, then the event', () => {
        const at = (overrides: StripeObject<'customer.subscription.deleted'>) => {
          const { event } = routed(stripeEvent('customer.subscription.deleted', subscription(overrides)));
          return event.kind === 'cancelled' ? event.cancellation : undefined;
        };
        assert.deepEqual(at({ canceled_at: null, cancellation_details: null }), {
          at: iso(T_CREATED - 30),
          source: 'stripe',
        });
        assert.equal(at({ canceled_at: null, ended_at: null })?.at, iso(T_CREATED));
      });

      it('ignores a subscription that is not a Sales Sync order', () => {
        const reason = ignored(stripeEvent('customer.subscription.deleted', subscription({ metadata: {} })));
        assert.match(reason, /subscription\.metadata: not a Sales Sync order/);
      });
    });

    describe('refunds', () => {
      const charge = (overrides: StripeObject<'charge.refunded'> = {}) =>
        ({
          id: 'ch_3Qabc',
          object: 'charge',
          amount: 4900,
          amount_captured: 4900,
          amount_refunded: 4900,
          billing_details: { email: 'ada@example.com', name: 'Ada Lovelace' },
          captured: true,
          created: T_CREATED - 3600,
          currency: 'usd',
          customer: 'cus_Qabc',
          metadata: { ...ROUTING },
          paid: true,
          payment_intent: 'pi_3Qabc',
          refunded: true,
          status: 'succeeded',
          ...overrides,
        }) satisfies StripeObject<'charge.refunded'>;

      it('maps charge.refunded (refunds not expanded, as webhooks send it) to a refund of the charge', () => {
        const event = stripeEvent('charge.refunded', charge());
        assert.deepEqual(routed(event), {
          accountId: ACCOUNT,
          orderId: ORDER,
          eventId: event.id,
          eventType: 'charge.refunded',
          event: {
            kind: 'refund',
            refund: {
              id: 'ch_3Qabc',
              paymentId: 'pi_3Qabc',
              amount: 4900,
              currency: 'USD',
              at: iso(T_CREATED),
              source: 'stripe',
            },
          } satisfies OrderEvent,
        });
      });

      it('takes the newest refund of an expanded list, with its own amount, as refund.created would', () => {
        const partial = charge({
          amount_refunded: 3000,
          refunded: false,
          payment_intent: null,
          refunds: {
            object: 'list',
            has_more: false,
            url: '/v1/charges/ch_3Qabc/refunds',
            data: [
              {
                id: 're_2',
                object: 'refund',
                amount: 2000,
                created: T_CREATED - 10,
                currency: 'usd',
                status: 'succeeded',
              },
              {
                id: 're_1',
                object: 'refund',
                amount: 1000,
                created: T_CREATED - 900,
                currency: 'usd',
                status: 'succeeded',
              },
            ],
          },
        });
        const { event } = routed(stripeEvent('charge.refunded', partial));
        assert.deepEqual(event, {
          kind: 'refund',
          refund: { id: 're_2', amount: 2000, currency: 'USD', at: iso(T_CREATED - 10), source: 'stripe' },
        });
      });

      it('ignores a charge without Sales Sync metadata', () => {
        assert.match(ignored(stripeEvent('charge.refunded', charge({ metadata: {} }))), /charge\.metadata/);
      });

      const refund = (overrides: StripeObject<'refund.created'> = {}) =>
        ({
          id: 're_3Qabc',
          object: 'refund',
          amount: 1500,
          charge: 'ch_3Qabc',
          created: T_CREATED - 2,
          currency: 'usd',
          metadata: { ...ROUTING },
          payment_intent: 'pi_3Qabc',
          reason: 'requested_by_customer',
          status: 'succeeded',
          ...overrides,
        }) satisfies StripeObject<'refund.created'>;

      it('maps refund.created to a refund, routed by the refund metadata', () => {
        const event = stripeEvent('refund.created', refund());
        assert.deepEqual(routed(event), {
          accountId: ACCOUNT,
          orderId: ORDER,
          eventId: event.id,
          eventType: 'refund.created',
          event: {
            kind: 'refund',
            refund: {
              id: 're_3Qabc',
              paymentId: 'pi_3Qabc',
              amount: 1500,
              currency: 'USD',
              at: iso(T_CREATED - 2),
              source: 'stripe',
            },
          } satisfies OrderEvent,
        });
        const pending = routed(stripeEvent('refund.created', refund({ status: 'pending', payment_intent: null })));
        assert.equal(pending.event.kind === 'refund' && 'paymentId' in pending.event.refund, false);
      });

      it('ignores a refund that failed, and one without metadata', () => {
        assert.match(ignored(stripeEvent('refund.created', refund({ status: 'failed' }))), /re_3Qabc is failed/);
        assert.match(ignored(stripeEvent('refund.created', refund({ metadata: {} }))), /refund\.metadata/);
      });
    });

    describe('payment_intent.succeeded', () => {
      const paymentIntent = (overrides: StripeObject<'payment_intent.succeeded'> = {}) =>
        ({
          id: 'pi_3Qabc',
          object: 'payment_intent',
          amount: 4900,
          amount_received: 4900,
          capture_method: 'automatic',
          created: T_CREATED - 20,
          currency: 'usd',
          customer: 'cus_Qabc',
          latest_charge: 'ch_3Qabc',
          metadata: { ...ROUTING },
          receipt_email: 'ada@example.com',
          status: 'succeeded',
          ...overrides,
        }) satisfies StripeObject<'payment_intent.succeeded'>;

      it('maps to a payment of unknown sequence (a backup to the platform API)', () => {
        const event = stripeEvent('payment_intent.succeeded', paymentIntent());
        assert.deepEqual(routed(event), {
          accountId: ACCOUNT,
          orderId: ORDER,
          eventId: event.id,
          eventType: 'payment_intent.succeeded',
          event: {
            kind: 'payment',
            payment: {
              id: 'pi_3Qabc',
              amount: 4900,
              currency: 'USD',
              paidAt: iso(T_CREATED),
              sequence: 'unknown',
              source: 'stripe',
            },
          } satisfies OrderEvent,
        });
      });

      it('ignores it unless the metadata has both keys', () => {
        assert.match(ignored(stripeEvent('payment_intent.succeeded', paymentIntent({ metadata: {} }))), /not a Sales/);
        const half = paymentIntent({ metadata: { sales_sync_account_id: ACCOUNT } });
        assert.match(ignored(stripeEvent('payment_intent.succeeded', half)), /sales_sync_order_id is missing/);
      });
    });

    it('ignores event types it does not handle', () => {
      const customer = stripeEvent('customer.created', { id: 'cus_Qabc', object: 'customer', metadata: ROUTING });
      assert.equal(ignored(customer), 'event type customer.created is not one Sales Sync handles');
      const succeeded = stripeEvent('invoice.payment_succeeded', invoice());
      assert.match(ignored(succeeded), /invoice\.payment_succeeded is not one/);
      assert.deepEqual([...STRIPE_EVENT_TYPES].sort(), [
        'charge.refunded',
        'customer.subscription.deleted',
        'invoice.paid',
        'invoice.payment_failed',
        'payment_intent.succeeded',
        'refund.created',
      ]);
    });

    it('never throws on payloads of an unexpected shape: it says why it ignores them', () => {
      const good = stripeEvent('invoice.paid', invoice());
      const cases: [unknown, RegExp][] = [
        [null, /not a Stripe event/],
        ['evt_1', /not a Stripe event/],
        [[good], /not a Stripe event/],
        [{}, /not a Stripe event \(event\.id: /],
        [{ ...good, created: -1 }, /event\.created/],
        [{ ...good, created: 1e15 }, /event\.created/],
        [{ ...good, data: null }, /event\.data/],
        [{ ...good, data: { object: null } }, /the invoice is not shaped as expected/],
        [{ ...good, data: { object: { ...invoice(), amount_paid: '2900' } } }, /data\.object\.amount_paid/],
        [{ ...good, data: { object: { ...invoice(), amount_paid: 29.5 } } }, /data\.object\.amount_paid/],
        [{ ...good, data: { object: { ...invoice(), currency: 42 } } }, /data\.object\.currency/],
        [{ ...good, data: { object: { ...invoice(), status_transitions: { paid_at: 1e15 } } } }, /paid_at/],
        [
          { ...good, data: { object: { ...invoice(), parent: { subscription_details: { metadata: 'x' } } } } },
          /parent/,
        ],
        [
          {
            ...good,
            data: {
              object: {
                ...invoice({ parent: null }),
                metadata: { sales_sync_account_id: 7, sales_sync_order_id: ORDER },
              },
            },
          },
          /not a valid id/,
        ],
      ];
      for (const [payload, expected] of cases) {
        assert.match(ignored(payload), expected, JSON.stringify(payload)?.slice(0, 120));
      }
    });
  });

  describe('POST /webhooks/stripe', function () {
    this.timeout(20_000);
    const SECRET = 'whsec_test_0123456789abcdef0123456789abcdef';
    const stripe = new Stripe('sk_test_placeholder', { apiVersion: STRIPE_API_VERSION });
    const deliveries: RoutedStripeEvent[] = [];
    const logLines: string[] = [];
    let outcome: 'delivered' | 'closed' | Error = 'delivered';
    let server: Server;
    let url: string;

    before(async () => {
      const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
      const app = express();
      app.use(
        '/v1',
        stripeWebhookRouter({
          endpointSecret: SECRET,
          logger,
          deliver: (event) => {
            deliveries.push(event);
            return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
          },
        }),
      );
      app.use(errorHandler(logger));
      server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/stripe`;
    });

    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    beforeEach(() => {
      deliveries.length = 0;
      logLines.length = 0;
      outcome = 'delivered';
    });

    const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
      stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET, ...options });

    async function post(payload: string, signature: string | null, contentType = 'application/json; charset=utf-8') {
      const headers: Record<string, string> = { 'content-type': contentType };
      if (signature !== null) headers['stripe-signature'] = signature;
      const res = await fetch(url, { method: 'POST', headers, body: payload });
      return { status: res.status, body: (await res.json()) as any };
    }

    const paidEvent = () => stripeEvent('invoice.paid', invoice());

    it('verifies a signed event, delivers it once and answers 200', async () => {
      const event = paidEvent();
      const payload = JSON.stringify(event, null, 2);
      const res = await post(payload, sign(payload));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { received: true, delivered: true });
      assert.deepEqual(deliveries, [routed(event)]);
      assert.equal(deliveries[0]?.eventId, event.id);
      assert.equal(deliveries[0]?.event.kind === 'payment' && deliveries[0].event.payment.id, 'in_1QabcInvoice');
    });

    it('answers 200 delivered:false when the order is already closed', async () => {
      outcome = 'closed';
      const payload = JSON.stringify(paidEvent());
      const res = await post(payload, sign(payload));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { received: true, delivered: false, reason: 'order already closed' });
      assert.equal(deliveries.length, 1);
    });

    it('rejects a tampered body with 400 invalid_signature and delivers nothing', async () => {
      const payload = JSON.stringify(paidEvent());
      const tampered = payload.replace('"amount_paid":2900', '"amount_paid":1');
      assert.notEqual(tampered, payload);
      const res = await post(tampered, sign(payload));
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'invalid_signature');
      assert.equal(deliveries.length, 0);
    });

    it('accepts a signature 299 s old and rejects one 301 s old (300 s tolerance)', async () => {
      const payload = JSON.stringify(paidEvent());
      const now = Math.floor(Date.now() / 1000);
      const stale = await post(payload, sign(payload, { timestamp: now - 301 }));
      assert.equal(stale.status, 400);
      assert.equal(stale.body.error.code, 'invalid_signature');
      assert.equal(deliveries.length, 0);
      const fresh = await post(payload, sign(payload, { timestamp: now - 299 }));
      assert.equal(fresh.status, 200);
      assert.equal(deliveries.length, 1);
    });

    it('rejects a wrong secret, a missing header and a garbled header with 400, never logging the secret', async () => {
      const payload = JSON.stringify(paidEvent());
      for (const signature of [sign(payload, { secret: 'whsec_someone_else' }), null, '', 'garbage', 't=1,v1=']) {
        const res = await post(payload, signature);
        assert.equal(res.status, 400, String(signature));
        assert.equal(res.body.error.code, 'invalid_signature');
      }
      assert.equal(deliveries.length, 0);
      assert.ok(logLines.length > 0);
      const logs = logLines.join('\n');
      assert.ok(!logs.includes(SECRET), 'the endpoint secret is never logged');
      assert.ok(!logs.includes('ada@example.com'), 'the payload (customer PII) is never logged');
    });

    it('rejects an empty body with 400', async () => {
      const res = await post('', sign(''));
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'invalid_signature');
    });

    it('answers 400 invalid_payload to a signed body that is not JSON', async () => {
      const payload = 'not json at all, ada@example.com';
      const res = await post(payload, sign(payload), 'text/plain');
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'invalid_payload');
      assert.ok(!logLines.join('\n').includes('ada@example.com'));
    });

    it('verifies the raw bytes whatever the content type says', async () => {
      const payload = JSON.stringify(paidEvent());
      const res = await post(payload, sign(payload), 'application/octet-stream');
      assert.equal(res.status, 200);
      assert.equal(deliveries.length, 1);
    });

    it('answers 503 when the event cannot be handed to Temporal, so Stripe retries', async () => {
      outcome = new Error('14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:7233');
      const payload = JSON.stringify(paidEvent());
      const res = await post(payload, sign(payload));
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'temporarily_unavailable');
      assert.equal(deliveries.length, 1);
    });

    it('answers 200 ignored to an event it cannot route, logging its id and type but not its payload', async () => {
      const event = stripeEvent('invoice.paid', invoice({ parent: null }));
      const payload = JSON.stringify(event);
      const res = await post(payload, sign(payload));
      assert.equal(res.status, 200);
      assert.equal(res.body.received, true);
      assert.match(res.body.ignored, /not a Sales Sync order/);
      assert.equal(deliveries.length, 0);
      const line = logLines.map((l) => JSON.parse(l)).find((l) => l.msg === 'stripe event ignored');
      assert.ok(line, 'logged at info');
      assert.equal(line.level, 30);
      assert.equal(line.eventId, event.id);
      assert.equal(line.eventType, 'invoice.paid');
      assert.ok(!logLines.join('\n').includes('ada@example.com'));

      const other = JSON.stringify(stripeEvent('customer.created', { id: 'cus_Qabc', email: 'ada@example.com' }));
      const otherRes = await post(other, sign(other));
      assert.equal(otherRes.status, 200);
      assert.equal(otherRes.body.ignored, 'event type customer.created is not one Sales Sync handles');
    });

    it('delivers a duplicate delivery again: dedupe is the workflow’s, by payment id', async () => {
      const payload = JSON.stringify(paidEvent());
      for (let i = 0; i < 2; i++) {
        const res = await post(payload, sign(payload));
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, { received: true, delivered: true });
      }
      assert.equal(deliveries.length, 2);
      assert.deepEqual(deliveries[0], deliveries[1]);
    });

    it('leaves other routes alone (mounted before the bearer check)', async () => {
      const res = await fetch(url.replace('/webhooks/stripe', '/accounts/demo'));
      assert.equal(res.status, 404);
    });
  });
});
