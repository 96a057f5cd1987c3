/**
 * A first try writes its Keap order and payment without looking (no earlier write can exist), except
 * in a run an operator reset: activities before the reset point may have written, so every write
 * there looks first. Reset here on the real dev server, after the order was written and paid.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { SandboxExchange } from '../keap-sandbox';
import type { OrderLifecycle } from '../common/order';
import { getStack } from './support/stack';
import type { Stack } from './support/stack';
import { createAccount, keapGet, keapOrdersForEmail, oneTimeOrder, waitForStatus } from './support/fixtures';

const EventType = temporal.api.enums.v1.EventType;

describe('a reset order workflow', function () {
  this.timeout(60_000);
  let stack: Stack;
  let accountId: string;
  let stopRecording: () => void;
  const exchanges: SandboxExchange[] = [];

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    accountId = await createAccount(stack);
    stopRecording = stack.sandbox.onExchange((ex) => exchanges.push(ex));
  });

  after(() => stopRecording());

  it('looks before writing again: still one Keap order with one payment', async () => {
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
    const operations = exchanges
      .slice(from)
      .filter((ex) => {
        const text = JSON.stringify([ex.path, ex.query, ex.requestBody]);
        return text.includes(order.orderId) || text.includes(`/orders/${paid.keapOrderId}/`);
      })
      .map((ex) => ex.operationId);
    // The contact is found by email as always; the order and its payment are looked up, not written.
    assert.deepEqual(operations, ['listContacts', 'listOrders', 'listOrderPayments']);
    const orders = await keapOrdersForEmail(stack, order.customer.email);
    assert.equal(orders.length, 1);
    const payments = (await keapGet(stack, `/orders/${orders[0].id}/payments`)).invoice_order_payments;
    assert.equal(payments.length, 1);
  });
});
