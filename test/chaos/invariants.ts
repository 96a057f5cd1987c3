/**
 * The chaos suite's invariants over what one Keap app holds at the end: every order has exactly its
 * Keap orders (one, or one per paid subscription cycle), every reported payment is on them exactly
 * once, totals add up, nothing in Keap belongs to no order, one contact per customer, the money in
 * Keap equals the money charged in the app's currency, and orders whose ids differ only in case each
 * have their own Keap order and payments. Pure, so it has tests of its own
 * (test/chaos-invariants.test.ts) proving each check can fail.
 */
import { formatMoney, stripeMinorUnitExponent } from '../../common/money';
import { keapOrderKey, keapPaymentMarker } from '../../orders/order';
import type { ChaosOrder } from './scenario';

export interface KeapOrderView {
  id: string;
  status: string;
  total_paid?: { amount: number };
  custom_fields?: { id: string; content?: unknown }[];
}
export interface KeapPaymentView {
  id: string;
  /** Major units, as Keap answers. */
  amount: number;
  note?: string;
}
export interface KeapContactView {
  id: string;
  email_addresses?: { email?: string }[];
}

export interface KeapSnapshot {
  orders: KeapOrderView[];
  paymentsByOrder: Map<string, KeapPaymentView[]>;
  contacts: KeapContactView[];
}

export interface InvariantResult {
  found: { keapOrders: number; payments: number; contacts: number };
  duplicates: number;
  lost: number;
  orphaned: number;
  duplicateContacts: number;
  /** In the app's currency, minor units: what the orders charged, and every payment Keap holds. */
  money: { currency: string; charged: number; inKeap: number };
  /** Pairs of orders whose ids differ only in case, and how many of them each have their own Keap order and payments. */
  casePairs: { pairs: number; separate: number };
  violations: string[];
  /** The orders the violations name. */
  troubled: string[];
}

/** Our key is the one text custom field Sales Sync writes on an order. */
export function orderKeyOf(order: KeapOrderView): string | undefined {
  return order.custom_fields
    ?.map((f) => f.content)
    .find((c): c is string => typeof c === 'string' && c.startsWith('ss:'));
}

/** Keap's major-unit payment amount in the currency's minor units (as Stripe counts them). */
export function minorUnits(major: number, currency: string): number {
  return Math.round(major * 10 ** stripeMinorUnitExponent(currency));
}

/**
 * Checks one Keap app: `orders` are the orders of `accountId`, all in `currency` (the app's), and
 * `keap` is everything that app holds.
 */
export function checkInvariants(
  accountId: string,
  orders: ChaosOrder[],
  keap: KeapSnapshot,
  currency = 'USD',
): InvariantResult {
  const result: InvariantResult = {
    found: { keapOrders: keap.orders.length, payments: 0, contacts: keap.contacts.length },
    duplicates: 0,
    lost: 0,
    orphaned: 0,
    duplicateContacts: 0,
    money: { currency, charged: 0, inKeap: 0 },
    casePairs: { pairs: 0, separate: 0 },
    violations: [],
    troubled: [],
  };
  /** Orders any violation names; a case pair is separate only if neither of its two is among them. */
  const troubled = new Set<string>();
  const violation = (line: string, ...orderIds: string[]) => {
    result.violations.push(line);
    for (const id of orderIds) troubled.add(id);
  };
  const base = (orderId: string) => keapOrderKey(accountId, orderId);
  const orderOfBase = new Map(orders.map((o) => [base(o.orderId), o]));
  // A subscription's renewals carry `<base>:<payment id>`; its first cycle and every other order `<base>`.
  const ownerOf = (key: string) =>
    orderOfBase.has(key) ? key : [...orderOfBase.keys()].find((b) => key.startsWith(`${b}:`));
  const money = (minor: number) => formatMoney(minor, currency);

  const byOwner = new Map<string, KeapOrderView[]>();
  const perKey = new Map<string, number>();
  for (const keapOrder of keap.orders) {
    const payments = keap.paymentsByOrder.get(keapOrder.id) ?? [];
    result.found.payments += payments.length;
    for (const payment of payments) result.money.inKeap += minorUnits(payment.amount, currency);
    const key = orderKeyOf(keapOrder);
    const owner = key === undefined ? undefined : ownerOf(key);
    if (key === undefined || owner === undefined) {
      result.orphaned++;
      violation(`orphan: Keap order ${keapOrder.id} carries no key of an order we sent (${key ?? 'none'})`);
      continue;
    }
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), keapOrder]);
  }
  for (const [key, count] of perKey) {
    if (count > 1) {
      result.duplicates += count - 1;
      const owner = orderOfBase.get(ownerOf(key) as string);
      violation(`duplicate: ${count} Keap orders carry the key ${key}`, ...(owner ? [owner.orderId] : []));
    }
  }

  for (const order of orders) {
    result.money.charged += order.paidPaymentIds.length * order.paymentAmount;
    const found = byOwner.get(base(order.orderId)) ?? [];
    const distinct = new Set(found.map(orderKeyOf)).size;
    if (distinct < order.expectedKeapOrders) {
      result.lost += order.expectedKeapOrders - distinct;
      violation(
        `lost: ${order.orderId} has ${distinct} Keap orders, expected ${order.expectedKeapOrders}`,
        order.orderId,
      );
    } else if (distinct > order.expectedKeapOrders) {
      result.duplicates += distinct - order.expectedKeapOrders;
      violation(
        `extra: ${order.orderId} has ${distinct} Keap orders, expected ${order.expectedKeapOrders}`,
        order.orderId,
      );
    }
    const seen = new Map<string, number>();
    for (const keapOrder of found) {
      let paidMinor = 0;
      for (const payment of keap.paymentsByOrder.get(keapOrder.id) ?? []) {
        paidMinor += minorUnits(payment.amount, currency);
        const id = order.paidPaymentIds.find((p) => payment.note?.includes(keapPaymentMarker(p)));
        if (id === undefined) {
          result.orphaned++;
          const twin = orders.find(
            (o) =>
              o.orderId === order.caseTwin &&
              o.paidPaymentIds.some((p) => payment.note?.includes(keapPaymentMarker(p))),
          );
          violation(
            twin
              ? `case: payment ${payment.id} of ${twin.orderId} is on ${order.orderId}'s Keap order ${keapOrder.id}`
              : `orphan: payment ${payment.id} on Keap order ${keapOrder.id} (${order.orderId}) is none we reported`,
            order.orderId,
            ...(twin ? [twin.orderId] : []),
          );
          continue;
        }
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      if (paidMinor !== keapOrder.total_paid?.amount) {
        violation(
          `Keap order ${keapOrder.id}: payments add up to ${paidMinor}, total_paid is ${keapOrder.total_paid?.amount}`,
          order.orderId,
        );
      }
      const fullyPaid = order.lifecycle !== 'payment_plan' || order.expectedStatus === 'PaidInFull';
      if ((keapOrder.status === 'PAID') !== fullyPaid) {
        violation(
          `Keap order ${keapOrder.id} (${order.orderId}) is ${keapOrder.status}, expected ${fullyPaid ? 'PAID' : 'DRAFT'}`,
          order.orderId,
        );
      }
    }
    for (const id of order.paidPaymentIds) {
      const count = seen.get(id) ?? 0;
      if (count === 0) {
        result.lost++;
        violation(`lost: payment ${id} of ${order.orderId} is not in Keap`, order.orderId);
      } else if (count > 1) {
        result.duplicates += count - 1;
        violation(`duplicate: payment ${id} of ${order.orderId} is in Keap ${count} times`, order.orderId);
      }
    }
  }

  if (result.money.charged !== result.money.inKeap) {
    violation(
      `money: ${currency} charged ${money(result.money.charged)}, Keap holds ${money(result.money.inKeap)} in payments`,
    );
  }

  for (const order of orders) {
    if (order.caseTwin === undefined || order.orderId > order.caseTwin) continue;
    const twin = orders.find((o) => o.orderId === order.caseTwin);
    if (!twin) continue;
    result.casePairs.pairs++;
    // Keap orders are grouped by their exact key, so two orders sharing one shows as one of them lost
    // and its payments on the other's order (`case:` above): troubled.
    const mine = byOwner.get(base(order.orderId)) ?? [];
    const theirs = byOwner.get(base(twin.orderId)) ?? [];
    if (mine.length > 0 && theirs.length > 0 && !troubled.has(order.orderId) && !troubled.has(twin.orderId)) {
      result.casePairs.separate++;
    }
  }

  const perEmail = new Map<string, number>();
  for (const contact of keap.contacts) {
    const email = contact.email_addresses?.[0]?.email?.toLowerCase() ?? '';
    perEmail.set(email, (perEmail.get(email) ?? 0) + 1);
  }
  for (const [email, count] of perEmail) {
    if (count > 1) {
      result.duplicateContacts += count - 1;
      violation(`duplicate contact: ${count} Keap contacts for ${email}`);
    }
  }
  result.troubled = [...troubled];
  return result;
}
