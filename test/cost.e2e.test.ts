/**
 * What an order costs on the happy path (issue 6): Keap calls (every request the sandbox served for
 * this order) and Temporal actions and workflow tasks (from its history, counted as bench/actions.ts
 * does). Pinned here so a change that adds a call or a round trip is a decision, not an accident.
 */
import { strict as assert } from 'node:assert';
import { temporal } from '@temporalio/proto';
import { countActions } from '../bench/actions';
import type { ActionCount } from '../bench/actions';
import { getStack } from './support/stack';
import type { Stack } from './support/stack';
import {
  createAccount,
  keapCallsMentioning,
  keapGet,
  recordKeapExchanges,
  oneTimeOrder,
  uniqueId,
  waitFor,
  waitForStatus,
} from './support/fixtures';

describe('cost per order (happy path)', function () {
  this.timeout(60_000);
  let stack: Stack;
  let accountId: string;
  const exchanges = recordKeapExchanges();

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    accountId = await createAccount(stack);
  });

  const keapCallsFor = (from: number, marks: string[]) => keapCallsMentioning(exchanges, from, marks);

  async function historyCost(workflowId: string): Promise<ActionCount & { workflowTasks: number }> {
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const count: ActionCount = { total: 0, byType: {}, runs: 0, events: 0 };
    countActions(history.events ?? [], count);
    const workflowTasks = (history.events ?? []).filter(
      (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    ).length;
    return { ...count, workflowTasks };
  }

  /** Posts an order of a SKU whose product is already known (a product is written once per SKU). */
  async function postWarm(order: { orderId: string; items: { sku: string }[] }, status: string) {
    const warm = oneTimeOrder({ sku: order.items[0]!.sku });
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, warm);
    await waitForStatus(stack, accountId, warm.orderId, 'Paid');
    const from = exchanges.length;
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, order)).status, 202);
    const lifecycle = await waitForStatus(stack, accountId, order.orderId, status);
    return { from, lifecycle };
  }

  it('one-time order: 4 Keap calls, 3 Temporal actions, 2 workflow tasks', async () => {
    const order = oneTimeOrder({ sku: uniqueId('SKU') });
    const { from, lifecycle } = await postWarm(order, 'Paid');
    const workflowId = `order:${accountId}:${order.orderId}`;
    await stack.client.workflow.getHandle(workflowId).result();
    assert.deepEqual(
      keapCallsFor(from, [order.customer.email, order.orderId, order.payment.id, `/orders/${lifecycle.keapOrderId}`]),
      ['listContacts', 'createContact', 'createOrder', 'createPaymentForAnOrder'],
    );
    const cost = await historyCost(workflowId);
    assert.deepEqual(cost.byType, { 'start workflow': 1, activity: 1, 'upsert search attributes': 1 });
    assert.equal(cost.workflowTasks, 2);
  });

  it('payment plan: the first installment costs what a one-time order does, each later one 1 Keap call and 3 actions', async () => {
    const base = oneTimeOrder({ sku: uniqueId('SKU') });
    const order = {
      ...base,
      items: [{ ...base.items[0]!, quantity: 1, unitAmount: 3_000 }],
      plan: { type: 'payment_plan', installments: 3, installmentAmount: 1_000, interval: 'month', intervalCount: 1 },
      payment: { ...base.payment, amount: 1_000 },
    };
    const { from, lifecycle } = await postWarm(order, 'AwaitingInstallment');
    assert.deepEqual(
      keapCallsFor(from, [order.customer.email, order.orderId, order.payment.id, `/orders/${lifecycle.keapOrderId}`]),
      ['listContacts', 'createContact', 'createOrder', 'createPaymentForAnOrder'],
    );
    const workflowId = `order:${accountId}:${order.orderId}`;
    for (const n of [2, 3]) {
      const before = exchanges.length;
      const payment = { id: `in_${order.orderId}_${n}`, amount: 1_000, paidAt: new Date().toISOString() };
      const res = await stack.call('POST', `/v1/accounts/${accountId}/orders/${order.orderId}/payments`, payment);
      assert.equal(res.status, 202);
      await waitFor(`installment ${n}`, async () => {
        const lc = (await stack.call('GET', `/v1/accounts/${accountId}/orders/${order.orderId}`)).body;
        return lc.installments?.paid === n ? lc : undefined;
      });
      assert.deepEqual(keapCallsFor(before, [payment.id, `/orders/${lifecycle.keapOrderId}`]), [
        'createPaymentForAnOrder',
      ]);
    }
    await stack.client.workflow.getHandle(workflowId).result();
    const cost = await historyCost(workflowId);
    // First: start, activity, the AwaitingInstallment (+ Keap order id) upsert, the next due date's timer.
    // Second: signal, activity, the next timer. Third: signal, activity, the PaidInFull upsert.
    assert.deepEqual(cost.byType, {
      'start workflow': 1,
      activity: 3,
      'upsert search attributes': 2,
      timer: 2,
      signal: 2,
    });
  });

  it('a later installment written without looking first is still recorded once when its write loses its response', async () => {
    const base = oneTimeOrder({ sku: uniqueId('SKU') });
    const order = {
      ...base,
      items: [{ ...base.items[0]!, quantity: 1, unitAmount: 2_000 }],
      plan: { type: 'payment_plan', installments: 2, installmentAmount: 1_000, interval: 'month', intervalCount: 1 },
      payment: { ...base.payment, amount: 1_000 },
    };
    const { lifecycle } = await postWarm(order, 'AwaitingInstallment');
    const before = exchanges.length;
    stack.sandbox.faults.inject({ operation: 'createPaymentForAnOrder', mode: 'commit-then-lose', count: 1 });
    try {
      const payment = { id: `in_${order.orderId}_2`, amount: 1_000, paidAt: new Date().toISOString() };
      await stack.call('POST', `/v1/accounts/${accountId}/orders/${order.orderId}/payments`, payment);
      await waitForStatus(stack, accountId, order.orderId, 'PaidInFull');
      // Attempt 1 wrote blind and lost the answer; attempt 2 looked, found it, and wrote nothing.
      assert.deepEqual(keapCallsFor(before, [payment.id, `/orders/${lifecycle.keapOrderId}`]), [
        'createPaymentForAnOrder',
        'listOrderPayments',
      ]);
    } finally {
      stack.sandbox.faults.clear();
    }
    const payments = await keapGet(stack, `/orders/${lifecycle.keapOrderId}/payments`);
    assert.equal(payments.invoice_order_payments.length, 2);
  });
});
