/**
 * Events that come after an order ended are recorded, never acknowledged and dropped (issue 11,
 * item 6): a refund of a paid one-time order, a final invoice Stripe delivers after the subscription's
 * deletion, a redelivery, also once the order's history is gone. Signed Stripe webhooks through the
 * real API, the real dev server, the Keap sandbox.
 */
import { strict as assert } from 'node:assert';
import { WorkflowNotFoundError } from '@temporalio/client';
import { invoicePaid, refundCreated, signEvent, subscriptionDeleted } from '../scripts/stripe-events';
import { getStack, STRIPE_WEBHOOK_SECRET } from './support/stack';
import type { Stack } from './support/stack';
import {
  createAccount,
  keapGet,
  keapOrdersForEmail,
  oneTimeOrder,
  uniqueId,
  waitFor,
  waitForStatus,
} from './support/fixtures';

describe('events after an order ended', function () {
  this.timeout(90_000);
  let stack: Stack;
  let accountId: string;
  const paidOrder = oneTimeOrder();
  const cancelledId = uniqueId('sub');
  const forgottenId = uniqueId('sub');
  const workflowId = (orderId: string) => `order:${accountId}:${orderId}`;

  function subscription(orderId: string) {
    return {
      ...oneTimeOrder({ orderId }),
      items: [{ sku: 'BOX-1', name: 'Monthly box', quantity: 1, unitAmount: 2500 }],
      plan: { type: 'subscription', amount: 2500, interval: 'month', intervalCount: 1 },
      payment: { id: `in_${orderId}_1`, amount: 2500, paidAt: new Date().toISOString() },
    };
  }

  async function post(event: object) {
    const { body, signature } = signEvent(event, STRIPE_WEBHOOK_SECRET);
    const res = await stack.call('POST', '/v1/webhooks/stripe', undefined, {
      token: null,
      rawBody: body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  async function closed(orderId: string) {
    await waitFor(`${orderId}'s workflow to close`, async () =>
      (await stack.client.workflow.getHandle(workflowId(orderId)).describe()).status.name === 'COMPLETED'
        ? true
        : undefined,
    );
  }

  before(async function () {
    this.timeout(240_000);
    stack = await getStack();
    accountId = await createAccount(stack);
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, paidOrder)).status, 202);
    for (const orderId of [cancelledId, forgottenId]) {
      assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, subscription(orderId))).status, 202);
      await waitForStatus(stack, accountId, orderId, 'Active');
      await post(subscriptionDeleted({ accountId, orderId }));
      await waitForStatus(stack, accountId, orderId, 'Cancelled');
    }
    await waitForStatus(stack, accountId, paidOrder.orderId, 'Paid');
    await Promise.all([paidOrder.orderId, cancelledId, forgottenId].map(closed));
    // One subscription's history goes, as the namespace's retention deletes it (~30 s on the dev server).
    await stack.client.workflowService.deleteWorkflowExecution({
      namespace: stack.env.namespace ?? 'default',
      workflowExecution: { workflowId: workflowId(forgottenId) },
    });
    await waitFor(
      'the history to be deleted',
      async () => {
        try {
          await stack.client.workflow.getHandle(workflowId(forgottenId)).describe();
          return undefined;
        } catch (error) {
          return error instanceof WorkflowNotFoundError ? true : undefined;
        }
      },
      120_000,
    );
  });

  it('records a refund of a paid one-time order in its lifecycle', async () => {
    const refund = refundCreated(
      { accountId, orderId: paidOrder.orderId },
      { refundId: `re_${paidOrder.orderId}`, paymentIntent: paidOrder.payment.id, amount: 1999 },
    );
    assert.equal((await post(refund)).delivered, true);
    const lifecycle = await waitFor('the refund in the lifecycle', async () => {
      const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/${paidOrder.orderId}`);
      return res.body.refunds?.length === 1 ? res.body : undefined;
    });
    assert.equal(lifecycle.status, 'Paid', 'the order stays as it ended');
    assert.deepEqual(
      lifecycle.refunds.map((r: any) => [r.id, r.amount, r.paymentId]),
      [[`re_${paidOrder.orderId}`, 1999, paidOrder.payment.id]],
    );
    assert.equal(lifecycle.reopenings, 1);
  });

  it('records a final invoice delivered after the subscription was deleted: its renewal order, once', async () => {
    const email = `${cancelledId}@example.com`;
    const final = invoicePaid({ accountId, orderId: cancelledId }, { invoiceId: `in_${cancelledId}_2`, amount: 2500 });
    assert.equal((await post(final)).delivered, true);
    assert.equal((await post(final)).delivered, true, 'a redelivery is taken, and recorded once');
    const lifecycle = await waitFor('the final cycle in the lifecycle', async () => {
      const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/${cancelledId}`);
      return res.body.cycles === 2 ? res.body : undefined;
    });
    assert.equal(lifecycle.status, 'Cancelled');
    assert.equal(lifecycle.payments.length, 2);
    const orders = await waitFor('the renewal order in Keap', async () => {
      const found = await keapOrdersForEmail(stack, email);
      return found.length === 2 ? found : undefined;
    });
    for (const order of orders) {
      assert.equal(order.status, 'PAID');
      assert.equal((await keapGet(stack, `/orders/${order.id}/payments`)).invoice_order_payments.length, 1);
    }
  });

  it('records a final invoice for a subscription whose history is gone, and nothing of the first cycle again', async () => {
    const email = `${forgottenId}@example.com`;
    const routing = { accountId, orderId: forgottenId };
    const final = invoicePaid(routing, { invoiceId: `in_${forgottenId}_2`, amount: 2500 });
    assert.equal((await post(final)).delivered, true);
    // The first cycle's invoice, redelivered: the ledger knows its Keap order and payment.
    const first = invoicePaid(routing, {
      invoiceId: `in_${forgottenId}_1`,
      amount: 2500,
      billingReason: 'subscription_create',
    });
    assert.equal((await post(first)).delivered, true);
    const lifecycle = await waitFor('both invoices in the lifecycle', async () => {
      const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/${forgottenId}`);
      return res.body.payments?.length === 2 ? res.body : undefined;
    });
    assert.equal(lifecycle.status, 'Ended');
    const orders = await keapOrdersForEmail(stack, email);
    assert.equal(orders.length, 2, 'the first cycle and the final one, each once');
    for (const order of orders) {
      assert.equal((await keapGet(stack, `/orders/${order.id}/payments`)).invoice_order_payments.length, 1);
    }
  });
});
