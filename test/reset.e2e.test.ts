/**
 * A run an operator reset repeats activities that already wrote to Keap before the reset point; the
 * ledger of Keap writes (and, for writes it has no record of, a look in Keap first) keeps them from
 * writing twice. Reset here on the real dev server, after the order was written and paid.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { OrderLifecycle } from '../orders/order';
import { OrderClient } from '../orders/client';
import { getStack, TASK_QUEUE } from './support/stack';
import type { Stack } from './support/stack';
import {
  createAccount,
  keapCallsMentioning,
  keapGet,
  keapOrdersForEmail,
  recordKeapExchanges,
  oneTimeOrder,
  waitFor,
  waitForStatus,
} from './support/fixtures';

const EventType = temporal.api.enums.v1.EventType;

describe('a reset order workflow', function () {
  this.timeout(60_000);
  let stack: Stack;
  let accountId: string;
  const exchanges = recordKeapExchanges();

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    accountId = await createAccount(stack);
  });

  it('writes nothing again: still one Keap order with one payment', async () => {
    const order = oneTimeOrder();
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    const paid = await waitForStatus(stack, accountId, order.orderId, 'Paid');
    const workflowId = `order:${accountId}:${order.orderId}`;
    const handle = stack.client.workflow.getHandle(workflowId);
    await handle.result();

    // Back to the end of the first workflow task, before the sale's activity ran.
    const events = (await handle.fetchHistory()).events ?? [];
    const firstTask = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    assert.ok(firstTask?.eventId);
    const from = exchanges.length;
    const { runId } = await stack.client.workflowService.resetWorkflowExecution({
      namespace: stack.client.options.namespace,
      workflowExecution: { workflowId },
      reason: 'reset test',
      workflowTaskFinishEventId: firstTask.eventId,
      requestId: randomUUID(),
    });
    const again: OrderLifecycle = await stack.client.workflow.getHandle(workflowId, runId ?? undefined).result();

    assert.equal(again.status, 'Paid');
    assert.equal(again.keapOrderId, paid.keapOrderId);
    const operations = keapCallsMentioning(exchanges, from, [order.orderId, `/orders/${paid.keapOrderId}/`]);
    // The contact (synced minutes ago), the order and its payment are all the ledger's: no Keap call.
    assert.deepEqual(operations, []);
    const orders = await keapOrdersForEmail(stack, order.customer.email);
    assert.equal(orders.length, 1);
    const payments = (await keapGet(stack, `/orders/${orders[0].id}/payments`)).invoice_order_payments;
    assert.equal(payments.length, 1);
  });

  it('keeps looking after a continue-as-new: a subscription reset to its start is still one Keap order per cycle', async () => {
    // Continue-as-new every ~30 events, so a few renewals span several runs.
    const orderClient = new OrderClient(stack.client, TASK_QUEUE, { continueAsNewAfterEvents: 30 });
    const order = {
      ...oneTimeOrder(),
      items: [{ sku: 'RESET-BOX', name: 'Monthly box', quantity: 1, unitAmount: 2_900 }],
      plan: { type: 'subscription' as const, amount: 2_900, interval: 'month' as const, intervalCount: 1 },
    };
    const payment = (n: number) => ({
      kind: 'payment' as const,
      payment: {
        id: `in_${order.orderId}_${n}`,
        amount: 2_900,
        paidAt: '2026-11-21T10:00:00Z',
        sequence: n === 1 ? ('initial' as const) : ('recurring' as const),
        source: 'stripe' as const,
      },
    });
    // The first payment starts the workflow (with the continue-as-new setting); the order follows.
    await orderClient.deliver(accountId, order.orderId, payment(1));
    const workflowId = `order:${accountId}:${order.orderId}`;
    const firstRunId = (await stack.client.workflow.getHandle(workflowId).describe()).runId;
    const posted = await stack.call('POST', `/v1/accounts/${accountId}/orders`, {
      ...order,
      payment: { id: `in_${order.orderId}_1`, amount: 2_900, paidAt: '2026-11-21T10:00:00Z' },
    });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    const cycles = 6;
    for (let n = 2; n <= cycles; n++) {
      await orderClient.deliver(accountId, order.orderId, payment(n));
      await waitFor(`cycle ${n}`, async () =>
        (await orderClient.lifecycle(accountId, order.orderId))?.cycles === n ? true : undefined,
      );
    }
    const current = await stack.client.workflow.getHandle(workflowId).describe();
    assert.notEqual(current.runId, firstRunId, 'the renewals spanned a continue-as-new');

    // Reset the first run to its first workflow task: every payment is replayed into the new chain.
    const events = (await stack.client.workflow.getHandle(workflowId, firstRunId).fetchHistory()).events ?? [];
    const firstTask = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    assert.ok(firstTask?.eventId);
    await stack.client.workflowService.resetWorkflowExecution({
      namespace: stack.client.options.namespace,
      workflowExecution: { workflowId, runId: firstRunId },
      reason: 'reset across continue-as-new test',
      workflowTaskFinishEventId: firstTask.eventId,
      requestId: randomUUID(),
    });
    await waitFor(
      'the reset chain to record every cycle again',
      async () => {
        const lifecycle = await orderClient.lifecycle(accountId, order.orderId);
        return lifecycle?.cycles === cycles ? lifecycle : undefined;
      },
      30_000,
    );
    const orders = await keapOrdersForEmail(stack, order.customer.email);
    assert.equal(orders.length, cycles, 'one Keap order per cycle, none written twice');
    for (const keapOrder of orders) {
      assert.equal((await keapGet(stack, `/orders/${keapOrder.id}/payments`)).invoice_order_payments.length, 1);
    }
  });
});
