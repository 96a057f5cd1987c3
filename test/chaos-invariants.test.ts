/** The chaos suite's checks can fail: each kind of damage to Keap's data is found and counted. */
import assert from 'node:assert/strict';
import { keapOrderKey, keapPaymentMarker } from '../orders/order';
import { checkInvariants, type KeapSnapshot } from './chaos/invariants';
import type { ChaosOrder } from './chaos/scenario';

const ACCOUNT = 'acct';
const orders: ChaosOrder[] = [
  {
    accountId: ACCOUNT,
    currency: 'USD',
    orderId: 'one',
    lifecycle: 'one_time',
    email: 'one@example.com',
    paidPaymentIds: ['pi_one'],
    paymentAmount: 1_000,
    expectedStatus: 'Paid',
    expectedKeapOrders: 1,
  },
  {
    accountId: ACCOUNT,
    currency: 'USD',
    orderId: 'plan',
    lifecycle: 'payment_plan',
    email: 'plan@example.com',
    paidPaymentIds: ['in_plan_1', 'in_plan_2'],
    paymentAmount: 5_000,
    expectedStatus: 'AwaitingInstallment',
    expectedKeapOrders: 1,
  },
  {
    accountId: ACCOUNT,
    currency: 'USD',
    orderId: 'sub',
    lifecycle: 'subscription',
    email: 'sub@example.com',
    paidPaymentIds: ['in_sub_1', 'in_sub_2'],
    paymentAmount: 2_900,
    expectedStatus: 'Active',
    expectedKeapOrders: 2,
  },
];

function keapOrder(id: string, key: string | undefined, status: string, paidMinor: number) {
  return {
    id,
    status,
    total_paid: { amount: paidMinor },
    custom_fields: key === undefined ? [] : [{ id: '1', content: key }],
  };
}
const payment = (id: string, paymentId: string, minor: number, exponent = 2) => ({
  id,
  amount: minor / 10 ** exponent,
  note: `Stripe ${keapPaymentMarker(paymentId)}`,
});

/** What Keap holds when everything went right. */
function healthy(): KeapSnapshot {
  const key = (orderId: string, renewal?: string) => keapOrderKey(ACCOUNT, orderId, renewal);
  return {
    orders: [
      keapOrder('1', key('one'), 'PAID', 1_000),
      keapOrder('2', key('plan'), 'DRAFT', 10_000),
      keapOrder('3', key('sub'), 'PAID', 2_900),
      keapOrder('4', key('sub', 'in_sub_2'), 'PAID', 2_900),
    ],
    paymentsByOrder: new Map([
      ['1', [payment('p1', 'pi_one', 1_000)]],
      ['2', [payment('p2', 'in_plan_1', 5_000), payment('p3', 'in_plan_2', 5_000)]],
      ['3', [payment('p4', 'in_sub_1', 2_900)]],
      ['4', [payment('p5', 'in_sub_2', 2_900)]],
    ]),
    contacts: orders.map((o, i) => ({ id: String(i), email_addresses: [{ email: o.email }] })),
  };
}

describe('chaos invariants', () => {
  it('pass on healthy Keap data', () => {
    const result = checkInvariants(ACCOUNT, orders, healthy());
    assert.deepEqual(result.violations, []);
    assert.deepEqual(result.found, { keapOrders: 4, payments: 5, contacts: 3 });
  });

  it('count a second Keap order with the same key as a duplicate', () => {
    const keap = healthy();
    keap.orders.push(keapOrder('5', keapOrderKey(ACCOUNT, 'one'), 'PAID', 1_000));
    keap.paymentsByOrder.set('5', [payment('p6', 'pi_one', 1_000)]);
    const result = checkInvariants(ACCOUNT, orders, keap);
    assert.equal(result.duplicates, 2, result.violations.join('\n')); // the order and its payment
    assert.equal(result.lost, 0);
  });

  it('count a payment recorded twice as a duplicate, and its total as wrong', () => {
    const keap = healthy();
    keap.paymentsByOrder.get('2')?.push(payment('p7', 'in_plan_2', 5_000));
    const result = checkInvariants(ACCOUNT, orders, keap);
    assert.equal(result.duplicates, 1);
    assert.ok(result.violations.some((v) => v.includes('add up to 15000')));
  });

  it('count a missing payment and a missing renewal order as lost', () => {
    const keap = healthy();
    keap.paymentsByOrder.set('2', [payment('p2', 'in_plan_1', 5_000)]);
    keap.orders = keap.orders.filter((o) => o.id !== '4');
    const result = checkInvariants(ACCOUNT, orders, keap);
    // in_plan_2 missing; the renewal order and its payment missing.
    assert.equal(result.lost, 3, result.violations.join('\n'));
  });

  it('count Keap orders and payments that belong to no order as orphaned', () => {
    const keap = healthy();
    keap.orders.push(keapOrder('6', keapOrderKey(ACCOUNT, 'nobody'), 'PAID', 100));
    keap.orders.push(keapOrder('7', undefined, 'PAID', 0));
    keap.paymentsByOrder.get('1')?.push(payment('p8', 'pi_someone_else', 0));
    const result = checkInvariants(ACCOUNT, orders, keap);
    assert.equal(result.orphaned, 3);
  });

  it('flag a plan marked PAID before its last installment, and duplicate contacts', () => {
    const keap = healthy();
    (keap.orders[1] as { status: string }).status = 'PAID';
    keap.contacts.push({ id: '9', email_addresses: [{ email: 'ONE@example.com' }] });
    const result = checkInvariants(ACCOUNT, orders, keap);
    assert.ok(result.violations.some((v) => v.includes('is PAID, expected DRAFT')));
    assert.equal(result.duplicateContacts, 1);
  });

  it('add up the money per currency in its minor units, and flag Keap holding other money than was charged', () => {
    const result = checkInvariants(ACCOUNT, orders, healthy());
    assert.deepEqual(result.money, { currency: 'USD', charged: 16_800, inKeap: 16_800 });

    // KWD has three decimals: 1.234 KWD is 1234 fils, both in Keap's payment and in what was charged.
    const kwd: ChaosOrder[] = [{ ...(orders[0] as ChaosOrder), currency: 'KWD', paymentAmount: 1_234 }];
    const keap: KeapSnapshot = {
      orders: [keapOrder('1', keapOrderKey(ACCOUNT, 'one'), 'PAID', 1_234)],
      paymentsByOrder: new Map([['1', [payment('p1', 'pi_one', 1_234, 3)]]]),
      contacts: [{ id: '1', email_addresses: [{ email: 'one@example.com' }] }],
    };
    const fine = checkInvariants(ACCOUNT, kwd, keap, 'KWD');
    assert.deepEqual(fine.violations, []);
    assert.deepEqual(fine.money, { currency: 'KWD', charged: 1_234, inKeap: 1_234 });

    // Read as two decimals (the ×10 error of a wrong exponent), the same payment is 12.34 KWD.
    keap.paymentsByOrder.set('1', [payment('p1', 'pi_one', 12_340, 3)]);
    (keap.orders[0] as { total_paid: { amount: number } }).total_paid.amount = 12_340;
    const wrong = checkInvariants(ACCOUNT, kwd, keap, 'KWD');
    assert.ok(
      wrong.violations.some((v) => v.startsWith('money: KWD charged')),
      wrong.violations.join('\n'),
    );
  });

  it('find a payment of one order on the Keap order of its id-differing-only-in-case twin', () => {
    const twins: ChaosOrder[] = ['casex-1', 'CASEX-1'].map((orderId, i) => ({
      accountId: ACCOUNT,
      currency: 'USD',
      orderId,
      lifecycle: 'one_time',
      email: `twin${i}@example.com`,
      paidPaymentIds: [`pi_${orderId}`],
      paymentAmount: 1_000,
      expectedStatus: 'Paid',
      expectedKeapOrders: 1,
      role: 'case-pair',
      caseTwin: i === 0 ? 'CASEX-1' : 'casex-1',
    }));
    const keap: KeapSnapshot = {
      orders: [
        keapOrder('1', keapOrderKey(ACCOUNT, 'casex-1'), 'PAID', 1_000),
        keapOrder('2', keapOrderKey(ACCOUNT, 'CASEX-1'), 'PAID', 1_000),
      ],
      paymentsByOrder: new Map([
        ['1', [payment('p1', 'pi_casex-1', 1_000)]],
        ['2', [payment('p2', 'pi_CASEX-1', 1_000)]],
      ]),
      contacts: twins.map((o, i) => ({ id: String(i), email_addresses: [{ email: o.email }] })),
    };
    const fine = checkInvariants(ACCOUNT, twins, keap);
    assert.deepEqual(fine.violations, []);
    assert.deepEqual(fine.casePairs, { pairs: 1, separate: 1 });

    // The bug of issue 11 item 4: CASEX-1's payment went on casex-1's Keap order (one Keap order for both).
    keap.orders = [keapOrder('1', keapOrderKey(ACCOUNT, 'casex-1'), 'PAID', 2_000)];
    keap.paymentsByOrder = new Map([['1', [payment('p1', 'pi_casex-1', 1_000), payment('p2', 'pi_CASEX-1', 1_000)]]]);
    const shared = checkInvariants(ACCOUNT, twins, keap);
    assert.deepEqual(shared.casePairs, { pairs: 1, separate: 0 });
    assert.ok(
      shared.violations.includes(`case: payment p2 of CASEX-1 is on casex-1's Keap order 1`),
      shared.violations.join('\n'),
    );
    assert.equal(shared.lost, 2, shared.violations.join('\n')); // CASEX-1's Keap order and its payment
  });
});
