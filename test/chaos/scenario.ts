/**
 * The chaos suite's traffic, drawn from a seed: a mix of one-time orders, payment plans and
 * subscriptions in four currencies (USD, HUF, JPY, KWD: one account and Keap app each, since a Keap
 * app keeps its books in one currency), each with the deliveries the checkout platform and Stripe
 * would make (the order POST, then invoice.paid webhooks), shuffled per order (payments before their
 * order, installments out of order) and partly delivered twice. On top of that:
 *   - pairs of orders whose ids differ only in case (`casex-…` and `CASEX-…`, two customers), sent
 *     at the same time;
 *   - one 60-installment plan, paid through most of it (past Keap's 50-row page);
 *   - late steps, run once an order has closed: refunds of paid one-time orders, the final invoice of
 *     a cancelled subscription (after `customer.subscription.deleted`), redeliveries, and closed
 *     workflows deleted (as Temporal's retention does) and then posted again, or sent a late event.
 * Pure: the same options give the same scenario.
 */
import { mulberry32 } from '../../keap-sandbox/chaos';
import { invoicePaid, subscriptionDeleted } from '../../scripts/stripe-events';
import { chargeRefunded, paymentIntentSucceeded, refundCreated } from './stripe-late';

export type Lifecycle = 'one_time' | 'payment_plan' | 'subscription';

export const CHAOS_CURRENCIES = ['USD', 'HUF', 'JPY', 'KWD'] as const;
export type ChaosCurrency = (typeof CHAOS_CURRENCIES)[number];

/** One account (and Keap app) per currency. */
export function chaosAccountId(currency: string): string {
  return `chaos-${currency.toLowerCase()}`;
}

/** What happens to an order after its regular deliveries, once it has closed (at most one per order). */
export type LateKind =
  | 'refund-after-close'
  | 'redelivery-after-close'
  | 'final-invoice-after-cancel'
  | 'deleted-reposted'
  | 'refund-after-deletion'
  | 'final-invoice-after-deletion';

export const LATE_KINDS: readonly LateKind[] = [
  'refund-after-close',
  'redelivery-after-close',
  'final-invoice-after-cancel',
  'deleted-reposted',
  'refund-after-deletion',
  'final-invoice-after-deletion',
];

export interface ChaosOrder {
  accountId: string;
  currency: ChaosCurrency;
  orderId: string;
  lifecycle: Lifecycle;
  email: string;
  /** Payment ids Stripe reports as paid for this order (first one and late ones included): each must be in Keap once. */
  paidPaymentIds: string[];
  /** Amount of each payment in minor units. */
  paymentAmount: number;
  /** The lifecycle status the order must settle in. */
  expectedStatus: string;
  /** Keap orders this order must have: one, or one per paid cycle for a subscription. */
  expectedKeapOrders: number;
  /** Refunds (minor units) its lifecycle must show, each once. */
  refunds?: { id: string; amount: number }[];
  /** Its place in the special traffic. */
  role?: 'case-pair' | 'long-plan';
  /** The other order of a case pair (same id but for case). */
  caseTwin?: string;
  late?: LateKind;
  /** Its workflow is deleted mid-run, so the end state is read from Keap (and the late step), not its lifecycle. */
  deleted?: boolean;
  /** Payment plans: installments in the plan. */
  installments?: number;
}

export type Delivery =
  | { kind: 'order'; accountId: string; orderId: string; body: object; duplicate: boolean }
  | { kind: 'webhook'; accountId: string; orderId: string; event: object; duplicate: boolean };

/** One step of an order's late traffic; the steps run in turn once its lane is done. */
export type LateStep =
  /** Until the lifecycle shows this status and this many payments (cycles for a subscription); `closed`: and the workflow has completed. */
  | { kind: 'await'; status: string; payments: number; closed: boolean }
  | { kind: 'webhook'; label: string; event: object }
  /** Delete the closed workflow as retention does, and wait until Temporal no longer has it. */
  | { kind: 'delete' }
  /** The order POST again: must be answered 202 and `duplicate: true`, and start nothing. */
  | { kind: 'repost'; body: object };

export interface Scenario {
  accounts: { accountId: string; currency: ChaosCurrency }[];
  orders: ChaosOrder[];
  /** Per order, its deliveries in the order they are sent (one lane sends one order's deliveries in turn). */
  deliveries: Delivery[][];
  /** Per order (same index), the late steps after its deliveries; empty for most. */
  late: LateStep[][];
}

export interface ScenarioOptions {
  seed: number;
  /** Orders in all, the case pairs and the long plan included. */
  orders: number;
  /** Share of deliveries sent a second time (Stripe and platforms redeliver). */
  duplicateRate: number;
  /** Share of orders whose customer already bought (same email as an earlier order of the account). */
  repeatCustomerRate: number;
  /** When the payments were made (ISO): due dates follow it, so it should be close to the run's time. */
  paidAt: string;
  /** Pairs of orders whose ids differ only in case. Default: one per 60 orders, at least one. */
  casePairs?: number;
  /** Installments of the long plan, and how many of them Stripe reports paid (0 installments: no long plan). */
  longPlan?: { installments: number; paid: number };
  /** Share of the eligible orders given each late kind (at least one each when any order is eligible). */
  lateRates?: Partial<Record<LateKind, number>>;
}

export const DEFAULT_LATE_RATES: Record<LateKind, number> = {
  'refund-after-close': 0.12,
  'redelivery-after-close': 0.06,
  'final-invoice-after-cancel': 0.3,
  'deleted-reposted': 0.06,
  'refund-after-deletion': 0.02,
  'final-invoice-after-deletion': 0.04,
};

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

const PLAN_INSTALLMENTS = 3;

/**
 * Amounts in each currency's minor units as Stripe counts them: cents, forint hundredths (HUF is
 * two-decimal at Stripe, charged in whole forints), yen (zero-decimal), fils (three decimals).
 */
const AMOUNTS: Record<ChaosCurrency, { oneTime: (pick: (n: number) => number) => number; plan: number; sub: number }> =
  {
    USD: { oneTime: (pick) => 1_000 + pick(9_000), plan: 5_000, sub: 2_900 },
    HUF: { oneTime: (pick) => (1_000 + pick(9_000)) * 100, plan: 500_000, sub: 290_000 },
    JPY: { oneTime: (pick) => 1_000 + pick(19_000), plan: 5_000, sub: 2_900 },
    KWD: { oneTime: (pick) => 1_000 + pick(9_000), plan: 5_125, sub: 2_905 },
  };

interface OrderShape {
  line: { sku: string; name: string; quantity: number; unitAmount: number };
  plan: object;
  /** Each payment's amount. */
  amount: number;
  /** Payments Stripe reports as paid. */
  payments: number;
  installments?: number;
  expectedStatus: string;
}

function drawShape(lifecycle: Lifecycle, currency: ChaosCurrency, pick: (n: number) => number): OrderShape {
  const amounts = AMOUNTS[currency];
  if (lifecycle === 'one_time') {
    const amount = amounts.oneTime(pick);
    const line = { sku: `CHAOS-ONE-${pick(5)}`, name: 'Chaos one-time product', quantity: 1, unitAmount: amount };
    return { line, plan: { type: 'one_time' }, amount, payments: 1, expectedStatus: 'Paid' };
  }
  if (lifecycle === 'payment_plan') return planShape(PLAN_INSTALLMENTS, 1 + pick(PLAN_INSTALLMENTS), amounts.plan);
  const amount = amounts.sub;
  return {
    line: { sku: 'CHAOS-SUB', name: 'Chaos monthly box', quantity: 1, unitAmount: amount },
    plan: { type: 'subscription', amount, interval: 'month', intervalCount: 1 },
    amount,
    payments: 1 + pick(4),
    expectedStatus: 'Active',
  };
}

/** A monthly plan: due dates stay ahead of the run (paidAt is the run's time), so none falls PastDue. */
function planShape(installments: number, payments: number, amount: number, sku = 'CHAOS-PLAN'): OrderShape {
  return {
    line: { sku, name: `Chaos course (${installments} installments)`, quantity: 1, unitAmount: amount * installments },
    plan: { type: 'payment_plan', installments, installmentAmount: amount, interval: 'month', intervalCount: 1 },
    amount,
    payments,
    installments,
    expectedStatus: payments === installments ? 'PaidInFull' : 'AwaitingInstallment',
  };
}

interface Draft {
  order: ChaosOrder;
  lane: Delivery[];
  body: object;
}

export function buildScenario(options: ScenarioOptions): Scenario {
  const random = mulberry32(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const emailsByAccount = new Map<string, string[]>();
  const longPlan = options.longPlan ?? { installments: 60, paid: 55 };
  const hasLongPlan = longPlan.installments > 0 && options.orders > 2;
  const casePairs = Math.min(
    options.casePairs ?? Math.max(1, Math.round(options.orders / 60)),
    Math.floor((options.orders - (hasLongPlan ? 1 : 0)) / 4),
  );
  let customers = 0;

  const draft = (
    orderId: string,
    lifecycle: Lifecycle,
    currency: ChaosCurrency,
    shape: OrderShape,
    fresh = false,
  ): Draft => {
    const accountId = chaosAccountId(currency);
    const emails = emailsByAccount.get(accountId) ?? [];
    emailsByAccount.set(accountId, emails);
    // Repeat customers within one Keap app (a contact is per app); case pairs are two customers.
    const email =
      !fresh && emails.length > 0 && random() < options.repeatCustomerRate
        ? (emails[pick(emails.length)] as string)
        : `customer-${options.seed}-${customers++}@example.com`;
    emails.push(email);
    const routing = { accountId, orderId };
    const paymentIds = Array.from({ length: shape.payments }, (_, n) =>
      lifecycle === 'one_time' ? `pi_${orderId}` : `in_${orderId}_${n + 1}`,
    );
    const body = {
      orderId,
      customer: { email, firstName: 'Chaos', lastName: `Customer ${orderId}` },
      items: [shape.line],
      currency,
      plan: shape.plan,
      payment: { id: paymentIds[0], amount: shape.amount, paidAt: options.paidAt },
    };
    const lane: Delivery[] = [{ kind: 'order', accountId, orderId, duplicate: false, body }];
    // Stripe also reports a subscription's first invoice; half the time that webhook is in the traffic.
    const reported = lifecycle === 'subscription' && random() < 0.5 ? paymentIds : paymentIds.slice(1);
    for (const id of reported) {
      const billingReason = id === paymentIds[0] ? 'subscription_create' : 'subscription_cycle';
      lane.push({
        kind: 'webhook',
        accountId,
        orderId,
        duplicate: false,
        event: invoicePaid(routing, {
          invoiceId: id,
          amount: shape.amount,
          currency,
          billingReason,
          paidAt: options.paidAt,
        }),
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
    const order: ChaosOrder = {
      accountId,
      currency,
      orderId,
      lifecycle,
      email,
      paidPaymentIds: paymentIds,
      paymentAmount: shape.amount,
      expectedStatus: shape.expectedStatus,
      expectedKeapOrders: lifecycle === 'subscription' ? shape.payments : 1,
      ...(shape.installments !== undefined ? { installments: shape.installments } : {}),
    };
    return { order, lane, body };
  };

  const drawLifecycle = (): Lifecycle => {
    const roll = random();
    return roll < 0.5 ? 'one_time' : roll < 0.75 ? 'payment_plan' : 'subscription';
  };
  const drawCurrency = (): ChaosCurrency => {
    const roll = random();
    return roll < 0.4 ? 'USD' : roll < 0.6 ? 'HUF' : roll < 0.8 ? 'JPY' : 'KWD';
  };

  const drafts: Draft[] = [];
  // The long plan goes first: its many deliveries take one lane the longest.
  if (hasLongPlan) {
    const shape = planShape(longPlan.installments, longPlan.paid, 1_250, 'CHAOS-PLAN-LONG');
    const long = draft(`long-${options.seed}`, 'payment_plan', 'KWD', shape);
    long.order.role = 'long-plan';
    drafts.push(long);
  }
  const regular = options.orders - drafts.length - casePairs * 2;
  // Case pairs spread over the run; the two of a pair side by side, so they are in flight together.
  const pairAt = new Set(Array.from({ length: casePairs }, (_, k) => Math.floor(((k + 0.5) * regular) / casePairs)));
  let pair = 0;
  for (let i = 0; i < regular; i++) {
    if (pairAt.has(i)) {
      const lifecycle = drawLifecycle();
      const shape = drawShape(lifecycle, 'USD', pick);
      const lower = draft(`casex-${options.seed}-${pair}`, lifecycle, 'USD', shape, true);
      const upper = draft(`CASEX-${options.seed}-${pair}`, lifecycle, 'USD', { ...shape }, true);
      lower.order.role = upper.order.role = 'case-pair';
      lower.order.caseTwin = upper.order.orderId;
      upper.order.caseTwin = lower.order.orderId;
      drafts.push(lower, upper);
      pair++;
    }
    const lifecycle = drawLifecycle();
    const currency = drawCurrency();
    drafts.push(draft(`chaos-${options.seed}-${i}`, lifecycle, currency, drawShape(lifecycle, currency, pick)));
  }

  const late = assignLate(drafts, options, random);
  return {
    accounts: CHAOS_CURRENCIES.map((currency) => ({ accountId: chaosAccountId(currency), currency })),
    orders: drafts.map((d) => d.order),
    deliveries: drafts.map((d) => d.lane),
    late,
  };
}

/** Picks the orders of each late kind and writes their steps (changing what they must end with). */
function assignLate(drafts: Draft[], options: ScenarioOptions, random: () => number): LateStep[][] {
  const rates = { ...DEFAULT_LATE_RATES, ...options.lateRates };
  const steps: LateStep[][] = drafts.map(() => []);
  const at = options.paidAt;
  const eligible = (kind: LateKind, o: ChaosOrder): boolean => {
    if (o.role !== undefined || o.late !== undefined) return false;
    switch (kind) {
      case 'refund-after-close':
      case 'refund-after-deletion':
        return o.lifecycle === 'one_time';
      case 'redelivery-after-close':
        return o.lifecycle === 'one_time' || o.expectedStatus === 'PaidInFull';
      case 'deleted-reposted':
        // Only one-time orders: their lanes hold no webhook that could come after the close and open
        // the order again (a plan's redelivered installment may), so what is deleted is the closed run.
        return o.lifecycle === 'one_time';
      case 'final-invoice-after-cancel':
      case 'final-invoice-after-deletion':
        return o.lifecycle === 'subscription';
    }
  };
  // The rarer kinds pick first, so each gets its orders.
  const order: LateKind[] = [
    'refund-after-deletion',
    'final-invoice-after-deletion',
    'deleted-reposted',
    'redelivery-after-close',
    'refund-after-close',
    'final-invoice-after-cancel',
  ];
  for (const kind of order) {
    const candidates = shuffle(
      drafts.map((_, i) => i).filter((i) => eligible(kind, (drafts[i] as Draft).order)),
      random,
    );
    const rate = rates[kind];
    if (rate <= 0 || candidates.length === 0) continue;
    const count = Math.max(1, Math.round(rate * candidates.length));
    for (const i of candidates.slice(0, count)) {
      const d = drafts[i] as Draft;
      const o = d.order;
      o.late = kind;
      const routing = { accountId: o.accountId, orderId: o.orderId };
      const twice = random() < 0.5;
      const paid = o.paidPaymentIds.length;
      const closedAs = { kind: 'await' as const, status: o.expectedStatus, payments: paid, closed: true };
      const refund = () => {
        const r = {
          refundId: `re_${o.orderId.replace(/-/g, '_')}`,
          paymentIntent: o.paidPaymentIds[0] as string,
          amount: random() < 0.5 ? o.paymentAmount : Math.max(1, Math.floor(o.paymentAmount / 2)),
          currency: o.currency,
          atIso: at,
        };
        o.refunds = [{ id: r.refundId, amount: r.amount }];
        const event =
          random() < 0.5 ? refundCreated(routing, r) : chargeRefunded(routing, { ...r, chargeAmount: o.paymentAmount });
        return [
          { kind: 'webhook' as const, label: 'refund', event },
          ...(twice ? [{ kind: 'webhook' as const, label: 'refund (redelivered)', event }] : []),
        ];
      };
      const finalInvoice = (): LateStep[] => {
        const id = `in_${o.orderId}_${paid + 1}`;
        o.paidPaymentIds = [...o.paidPaymentIds, id];
        o.expectedKeapOrders += 1;
        o.expectedStatus = 'Cancelled';
        const event = invoicePaid(routing, {
          invoiceId: id,
          amount: o.paymentAmount,
          currency: o.currency,
          billingReason: 'subscription_cycle',
          paidAt: at,
        });
        return [
          { kind: 'webhook', label: 'final invoice', event },
          ...(twice ? [{ kind: 'webhook' as const, label: 'final invoice (redelivered)', event }] : []),
        ];
      };
      const cancel = (): LateStep[] => [
        { kind: 'await', status: 'Active', payments: paid, closed: false },
        { kind: 'webhook', label: 'subscription deleted', event: subscriptionDeleted(routing, { canceledAt: at }) },
        { kind: 'await', status: 'Cancelled', payments: paid, closed: true },
      ];
      const lane = steps[i] as LateStep[];
      switch (kind) {
        case 'refund-after-close':
          lane.push(closedAs, ...refund());
          break;
        case 'redelivery-after-close': {
          const last = o.paidPaymentIds.at(-1) as string;
          const event =
            o.lifecycle === 'one_time'
              ? paymentIntentSucceeded(routing, {
                  paymentIntent: last,
                  amount: o.paymentAmount,
                  currency: o.currency,
                  atIso: at,
                })
              : invoicePaid(routing, {
                  invoiceId: last,
                  amount: o.paymentAmount,
                  currency: o.currency,
                  billingReason: 'subscription_cycle',
                  paidAt: at,
                });
          lane.push(closedAs, { kind: 'webhook', label: 'redelivery', event });
          break;
        }
        case 'deleted-reposted':
          o.deleted = true;
          lane.push(closedAs, { kind: 'delete' }, { kind: 'repost', body: d.body });
          break;
        case 'refund-after-deletion':
          o.deleted = true;
          lane.push(closedAs, { kind: 'delete' }, { kind: 'repost', body: d.body }, ...refund());
          break;
        case 'final-invoice-after-cancel':
          lane.push(...cancel(), ...finalInvoice());
          break;
        case 'final-invoice-after-deletion':
          o.deleted = true;
          lane.push(...cancel(), { kind: 'delete' }, ...finalInvoice());
          break;
      }
    }
  }
  return steps;
}
