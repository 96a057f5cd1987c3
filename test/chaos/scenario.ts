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
    const customer = { email, firstName: 'Chaos', lastName: `Customer ${i}` };
    const lane: Delivery[] = [];

    if (lifecycle === 'one_time') {
      const amount = 1_000 + pick(9_000);
      lane.push({
        kind: 'order',
        orderId,
        duplicate: false,
        body: {
          orderId,
          customer,
          items: [{ sku: `CHAOS-ONE-${pick(5)}`, name: 'Chaos one-time product', quantity: 1, unitAmount: amount }],
          currency: 'USD',
          plan: { type: 'one_time' },
          payment: { id: `pi_${orderId}`, amount, paidAt: PAID_AT },
        },
      });
      orders.push({
        orderId,
        lifecycle,
        email,
        paidPaymentIds: [`pi_${orderId}`],
        paymentAmount: amount,
        expectedStatus: 'Paid',
        expectedKeapOrders: 1,
      });
    } else if (lifecycle === 'payment_plan') {
      const installment = 5_000;
      const paid = 1 + pick(PLAN_INSTALLMENTS);
      const ids = Array.from({ length: paid }, (_, n) => `in_${orderId}_${n + 1}`);
      lane.push({
        kind: 'order',
        orderId,
        duplicate: false,
        body: {
          orderId,
          customer,
          items: [
            { sku: 'CHAOS-PLAN', name: 'Chaos course', quantity: 1, unitAmount: installment * PLAN_INSTALLMENTS },
          ],
          currency: 'USD',
          plan: {
            type: 'payment_plan',
            installments: PLAN_INSTALLMENTS,
            installmentAmount: installment,
            interval: 'month',
            intervalCount: 1,
          },
          payment: { id: ids[0], amount: installment, paidAt: PAID_AT },
        },
      });
      for (const id of ids.slice(1)) {
        lane.push({
          kind: 'webhook',
          orderId,
          duplicate: false,
          event: invoicePaid(routing, { invoiceId: id, amount: installment }),
        });
      }
      orders.push({
        orderId,
        lifecycle,
        email,
        paidPaymentIds: ids,
        paymentAmount: installment,
        expectedStatus: paid === PLAN_INSTALLMENTS ? 'PaidInFull' : 'AwaitingInstallment',
        expectedKeapOrders: 1,
      });
    } else {
      const price = 2_900;
      const cycles = 1 + pick(4);
      const ids = Array.from({ length: cycles }, (_, n) => `in_${orderId}_${n + 1}`);
      lane.push({
        kind: 'order',
        orderId,
        duplicate: false,
        body: {
          orderId,
          customer,
          items: [{ sku: 'CHAOS-SUB', name: 'Chaos monthly box', quantity: 1, unitAmount: price }],
          currency: 'USD',
          plan: { type: 'subscription', amount: price, interval: 'month', intervalCount: 1 },
          payment: { id: ids[0], amount: price, paidAt: PAID_AT },
        },
      });
      // Stripe also reports the first invoice; half the time that webhook is part of the traffic.
      if (random() < 0.5) {
        lane.push({
          kind: 'webhook',
          orderId,
          duplicate: false,
          event: invoicePaid(routing, {
            invoiceId: ids[0] as string,
            amount: price,
            billingReason: 'subscription_create',
          }),
        });
      }
      for (const id of ids.slice(1)) {
        lane.push({
          kind: 'webhook',
          orderId,
          duplicate: false,
          event: invoicePaid(routing, { invoiceId: id, amount: price }),
        });
      }
      orders.push({
        orderId,
        lifecycle,
        email,
        paidPaymentIds: ids,
        paymentAmount: price,
        expectedStatus: 'Active',
        expectedKeapOrders: cycles,
      });
    }

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
