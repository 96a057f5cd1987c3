/**
 * The chaos suite's traffic, drawn from a seed: a mix of one-time orders, payment plans and
 * subscriptions, each with the deliveries the checkout platform and Stripe would make (the order POST,
 * then invoice.paid webhooks), shuffled per order (payments before their order, installments out of
 * order) and partly delivered twice. Pure: the same seed gives the same scenario.
 */
import { mulberry32 } from '../../keap-sandbox/chaos';
import { invoicePaid } from '../../scripts/stripe-events';

export type Lifecycle = 'one_time' | 'payment_plan' | 'subscription';

export interface ChaosOrder {
  orderId: string;
  lifecycle: Lifecycle;
  email: string;
  /** Payment ids Stripe reports as paid for this order, first one included. */
  paidPaymentIds: string[];
  /** Amount of each payment in minor units. */
  paymentAmount: number;
  /** The lifecycle status the order must settle in. */
  expectedStatus: string;
  /** Keap orders this order must have: one, or one per paid cycle for a subscription. */
  expectedKeapOrders: number;
}

export type Delivery =
  | { kind: 'order'; orderId: string; body: object; duplicate: boolean }
  | { kind: 'webhook'; orderId: string; event: object; duplicate: boolean };

export interface Scenario {
  accountId: string;
  orders: ChaosOrder[];
  /** Per order, its deliveries in the order they are sent (one lane sends one order's deliveries in turn). */
  deliveries: Delivery[][];
}

export interface ScenarioOptions {
  seed: number;
  orders: number;
  accountId: string;
  /** Share of deliveries sent a second time (Stripe and platforms redeliver). */
  duplicateRate: number;
  /** Share of orders whose customer already bought (same email as an earlier order). */
  repeatCustomerRate: number;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

const PLAN_INSTALLMENTS = 3;
const PAID_AT = '2026-11-21T10:00:00Z';

interface OrderShape {
  line: { sku: string; name: string; quantity: number; unitAmount: number };
  plan: object;
  /** Each payment's amount. */
  amount: number;
  /** Payments Stripe reports as paid. */
  payments: number;
  expectedStatus: string;
}

function drawShape(lifecycle: Lifecycle, pick: (n: number) => number): OrderShape {
  if (lifecycle === 'one_time') {
    const amount = 1_000 + pick(9_000);
    const line = { sku: `CHAOS-ONE-${pick(5)}`, name: 'Chaos one-time product', quantity: 1, unitAmount: amount };
    return { line, plan: { type: 'one_time' }, amount, payments: 1, expectedStatus: 'Paid' };
  }
  if (lifecycle === 'payment_plan') {
    const amount = 5_000;
    const payments = 1 + pick(PLAN_INSTALLMENTS);
    return {
      line: { sku: 'CHAOS-PLAN', name: 'Chaos course', quantity: 1, unitAmount: amount * PLAN_INSTALLMENTS },
      plan: {
        type: 'payment_plan',
        installments: PLAN_INSTALLMENTS,
        installmentAmount: amount,
        interval: 'month',
        intervalCount: 1,
      },
      amount,
      payments,
      expectedStatus: payments === PLAN_INSTALLMENTS ? 'PaidInFull' : 'AwaitingInstallment',
    };
  }
  const amount = 2_900;
  return {
    line: { sku: 'CHAOS-SUB', name: 'Chaos monthly box', quantity: 1, unitAmount: amount },
    plan: { type: 'subscription', amount, interval: 'month', intervalCount: 1 },
    amount,
    payments: 1 + pick(4),
    expectedStatus: 'Active',
  };
}

export function buildScenario(options: ScenarioOptions): Scenario {
  const random = mulberry32(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const orders: ChaosOrder[] = [];
  const deliveries: Delivery[][] = [];
  const emails: string[] = [];

  for (let i = 0; i < options.orders; i++) {
    const orderId = `chaos-${options.seed}-${i}`;
    const roll = random();
    const lifecycle: Lifecycle = roll < 0.5 ? 'one_time' : roll < 0.75 ? 'payment_plan' : 'subscription';
    const email =
      emails.length > 0 && random() < options.repeatCustomerRate
        ? (emails[pick(emails.length)] as string)
        : `${orderId}@example.com`;
    emails.push(email);
    const routing = { accountId: options.accountId, orderId };

    const shape = drawShape(lifecycle, pick);
    const paymentIds = Array.from({ length: shape.payments }, (_, n) =>
      lifecycle === 'one_time' ? `pi_${orderId}` : `in_${orderId}_${n + 1}`,
    );
    const lane: Delivery[] = [
      {
        kind: 'order',
        orderId,
        duplicate: false,
        body: {
          orderId,
          customer: { email, firstName: 'Chaos', lastName: `Customer ${i}` },
          items: [shape.line],
          currency: 'USD',
          plan: shape.plan,
          payment: { id: paymentIds[0], amount: shape.amount, paidAt: PAID_AT },
        },
      },
    ];
    // Stripe also reports a subscription's first invoice; half the time that webhook is in the traffic.
    const reported = lifecycle === 'subscription' && random() < 0.5 ? paymentIds : paymentIds.slice(1);
    for (const id of reported) {
      const billingReason = id === paymentIds[0] ? 'subscription_create' : 'subscription_cycle';
      lane.push({
        kind: 'webhook',
        orderId,
        duplicate: false,
        event: invoicePaid(routing, { invoiceId: id, amount: shape.amount, billingReason }),
      });
    }
    orders.push({
      orderId,
      lifecycle,
      email,
      paidPaymentIds: paymentIds,
      paymentAmount: shape.amount,
      expectedStatus: shape.expectedStatus,
      expectedKeapOrders: lifecycle === 'subscription' ? shape.payments : 1,
    });

    // Out of order: any delivery may come first, a renewal before its order included.
    shuffle(lane, random);
    // Redeliveries: a copy of some deliveries, later in the lane.
    for (let d = lane.length - 1; d >= 0; d--) {
      if (random() >= options.duplicateRate) continue;
      const original = lane[d] as Delivery;
      const at = d + 1 + pick(lane.length - d);
      lane.splice(at, 0, { ...original, duplicate: true });
    }
    deliveries.push(lane);
  }
  return { accountId: options.accountId, orders, deliveries };
}
