/**
 * The chaos suite's invariants over what Keap holds at the end: every order has exactly its Keap
 * orders (one, or one per paid subscription cycle), every reported payment is on them exactly once,
 * totals add up, nothing in Keap belongs to no order, one contact per customer. Pure, so it has tests
 * of its own (test/chaos-invariants.test.ts) proving each check can fail.
 */
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
  violations: string[];
}

/** Our key is the one text custom field Sales Sync writes on an order. */
export function orderKeyOf(order: KeapOrderView): string | undefined {
  return order.custom_fields
    ?.map((f) => f.content)
    .find((c): c is string => typeof c === 'string' && c.startsWith('ss:'));
}

export function checkInvariants(accountId: string, orders: ChaosOrder[], keap: KeapSnapshot): InvariantResult {
  const result: InvariantResult = {
    found: { keapOrders: keap.orders.length, payments: 0, contacts: keap.contacts.length },
    duplicates: 0,
    lost: 0,
    orphaned: 0,
    duplicateContacts: 0,
    violations: [],
  };
  const violation = (line: string) => result.violations.push(line);
  const base = (orderId: string) => keapOrderKey(accountId, orderId);
  const ours = new Set(orders.map((o) => base(o.orderId)));
  // A subscription's renewals carry `<base>:<payment id>`; its first cycle and every other order `<base>`.
  const ownerOf = (key: string) => (ours.has(key) ? key : [...ours].find((b) => key.startsWith(`${b}:`)));

  const byOwner = new Map<string, KeapOrderView[]>();
  const perKey = new Map<string, number>();
  for (const keapOrder of keap.orders) {
    result.found.payments += keap.paymentsByOrder.get(keapOrder.id)?.length ?? 0;
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
      violation(`duplicate: ${count} Keap orders carry the key ${key}`);
    }
  }

  for (const order of orders) {
    const found = byOwner.get(base(order.orderId)) ?? [];
    const distinct = new Set(found.map(orderKeyOf)).size;
    if (distinct < order.expectedKeapOrders) {
      result.lost += order.expectedKeapOrders - distinct;
      violation(`lost: ${order.orderId} has ${distinct} Keap orders, expected ${order.expectedKeapOrders}`);
    } else if (distinct > order.expectedKeapOrders) {
      result.duplicates += distinct - order.expectedKeapOrders;
      violation(`extra: ${order.orderId} has ${distinct} Keap orders, expected ${order.expectedKeapOrders}`);
    }
    const seen = new Map<string, number>();
    for (const keapOrder of found) {
      let paidMinor = 0;
      for (const payment of keap.paymentsByOrder.get(keapOrder.id) ?? []) {
        paidMinor += Math.round(payment.amount * 100);
        const id = order.paidPaymentIds.find((p) => payment.note?.includes(keapPaymentMarker(p)));
        if (id === undefined) {
          result.orphaned++;
          violation(
            `orphan: payment ${payment.id} on Keap order ${keapOrder.id} (${order.orderId}) is none we reported`,
          );
          continue;
        }
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      if (paidMinor !== keapOrder.total_paid?.amount) {
        violation(
          `Keap order ${keapOrder.id}: payments add up to ${paidMinor}, total_paid is ${keapOrder.total_paid?.amount}`,
        );
      }
      const fullyPaid = order.lifecycle !== 'payment_plan' || order.expectedStatus === 'PaidInFull';
      if ((keapOrder.status === 'PAID') !== fullyPaid) {
        violation(
          `Keap order ${keapOrder.id} (${order.orderId}) is ${keapOrder.status}, expected ${fullyPaid ? 'PAID' : 'DRAFT'}`,
        );
      }
    }
    for (const id of order.paidPaymentIds) {
      const count = seen.get(id) ?? 0;
      if (count === 0) {
        result.lost++;
        violation(`lost: payment ${id} of ${order.orderId} is not in Keap`);
      } else if (count > 1) {
        result.duplicates += count - 1;
        violation(`duplicate: payment ${id} of ${order.orderId} is in Keap ${count} times`);
      }
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
  return result;
}
