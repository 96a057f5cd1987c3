/**
 * One-time orders end to end: real HTTP API → real Temporal dev server → worker → Keap sandbox,
 * checked through the sandbox's own Keap API.
 */
import { strict as assert } from 'node:assert';
import { getStack } from './support/stack';
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

describe('one-time orders end to end', function () {
  this.timeout(90_000);
  let stack: Stack;
  let accountId: string;

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    accountId = await createAccount(stack);
  });

  afterEach(() => stack.sandbox.faults.clear());

  it('lands as one contact and one PAID order with its payment, findable by email in Temporal', async () => {
    const order = oneTimeOrder();
    const res = await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.workflowId, `order:${accountId}:${order.orderId}`);
    assert.equal(res.body.statusUrl, `/v1/accounts/${accountId}/orders/${order.orderId}`);

    const lifecycle = await waitForStatus(stack, accountId, order.orderId, 'Paid');
    assert.equal(lifecycle.total, 4900);
    assert.equal(lifecycle.totalPaid, 4900);
    assert.equal(lifecycle.balance, 0);
    assert.equal(lifecycle.payments.length, 1);
    assert.equal(lifecycle.payments[0].id, order.payment.id);

    const contacts = (await keapGet(stack, `/contacts?filter=${encodeURIComponent(`email==${order.customer.email}`)}`))
      .contacts;
    assert.equal(contacts.length, 1);
    assert.equal(contacts[0].id, lifecycle.keapContactId);
    const orders = await keapOrdersForEmail(stack, order.customer.email);
    assert.equal(orders.length, 1);
    const keapOrder = await keapGet(stack, `/orders/${lifecycle.keapOrderId}`);
    assert.equal(keapOrder.status, 'PAID');
    assert.equal(keapOrder.total.amount, 4900);
    assert.equal(keapOrder.total_paid.amount, 4900);
    assert.equal(keapOrder.total_due.amount, 0);
    assert.deepEqual(
      keapOrder.order_items.map((i: any) => [i.quantity, i.price_per_unit.amount]),
      [
        [2, 1999],
        [1, 902],
      ],
    );
    const payments = (await keapGet(stack, `/orders/${lifecycle.keapOrderId}/payments`)).invoice_order_payments;
    assert.equal(payments.length, 1);
    assert.equal(payments[0].amount, 49);

    const found = await waitFor('the workflow in visibility by email', async () => {
      for await (const wf of stack.client.workflow.list({
        query: `SalesSyncCustomerEmail = "${order.customer.email}" AND SalesSyncStatus = "Paid"`,
      })) {
        return wf;
      }
      return undefined;
    });
    assert.equal(found.workflowId, res.body.workflowId);
    assert.equal(found.searchAttributes.SalesSyncKeapOrderId?.[0], lifecycle.keapOrderId);
    assert.equal(found.searchAttributes.SalesSyncPlanType?.[0], 'one_time');
    assert.equal(found.searchAttributes.SalesSyncAccountId?.[0], accountId);
  });

  it('posted three times (at once), is still one Keap order', async () => {
    const order = oneTimeOrder();
    const results = await Promise.all(
      [1, 2, 3].map(() => stack.call('POST', `/v1/accounts/${accountId}/orders`, order)),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      [202, 202, 202],
    );
    assert.equal(results.filter((r) => r.body.duplicate === false).length, 1);
    await waitForStatus(stack, accountId, order.orderId, 'Paid');
    const again = await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    assert.equal(again.status, 202);
    assert.equal(again.body.duplicate, true);
    assert.equal((await keapOrdersForEmail(stack, order.customer.email)).length, 1);
  });

  it('rejects the same order id with different content as a 409 and writes nothing new', async () => {
    const order = oneTimeOrder();
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, order)).status, 202);
    const changed = {
      ...order,
      items: [{ ...order.items[0]!, quantity: 3 }],
      payment: { ...order.payment, amount: 5997 },
    };
    const res = await stack.call('POST', `/v1/accounts/${accountId}/orders`, changed);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'order_conflict');
    await waitForStatus(stack, accountId, order.orderId, 'Paid');
    assert.equal((await keapOrdersForEmail(stack, order.customer.email)).length, 1);
  });

  for (const operation of ['createOrder', 'createPaymentForAnOrder', 'createContact'] as const) {
    it(`ends with exactly one order and one payment when ${operation} commits but loses its response`, async () => {
      // Stats count since the shared sandbox started: other suites inject faults on these operations too.
      const firedBefore = stack.sandbox.stats().faultsInjected[operation] ?? 0;
      stack.sandbox.faults.inject({ operation, mode: 'commit-then-lose', count: 1 });
      const order = oneTimeOrder();
      assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, order)).status, 202);
      const lifecycle = await waitForStatus(stack, accountId, order.orderId, 'Paid');
      assert.equal((stack.sandbox.stats().faultsInjected[operation] ?? 0) - firedBefore, 1, 'the fault really fired');
      const contacts = (
        await keapGet(stack, `/contacts?filter=${encodeURIComponent(`email==${order.customer.email}`)}`)
      ).contacts;
      assert.equal(contacts.length, 1);
      const orders = await keapOrdersForEmail(stack, order.customer.email);
      assert.equal(orders.length, 1);
      const payments = (await keapGet(stack, `/orders/${orders[0].id}/payments`)).invoice_order_payments;
      assert.equal(payments.length, 1);
      assert.equal(orders[0].status, 'PAID');
      assert.equal(lifecycle.totalPaid, 4900);
    });
  }

  it('rides out Keap 5xx and 429 responses', async () => {
    stack.sandbox.faults.inject({ operation: 'listContacts', mode: 'error-5xx', count: 2 });
    stack.sandbox.faults.inject({ operation: 'createOrder', mode: 'throttle-429', count: 1 });
    const order = oneTimeOrder();
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    await waitForStatus(stack, accountId, order.orderId, 'Paid', 30_000);
    assert.equal((await keapOrdersForEmail(stack, order.customer.email)).length, 1);
  });

  it('acknowledges but does not write orders while Sales Sync is off, and says why', async () => {
    const offAccount = await createAccount(stack, uniqueId('acct-off'), { salesSyncEnabled: false });
    const order = oneTimeOrder();
    assert.equal((await stack.call('POST', `/v1/accounts/${offAccount}/orders`, order)).status, 202);
    const lifecycle = await waitForStatus(stack, offAccount, order.orderId, 'SyncDisabled');
    assert.match(lifecycle.statusReason, /Sales Sync is turned off/);
    assert.equal((await keapOrdersForEmail(stack, order.customer.email)).length, 0);
  });

  it('parks an order Keap rejects in NeedsAttention with Keap’s reason, and resumes it without duplicates', async () => {
    stack.sandbox.faults.inject({ operation: 'createPaymentForAnOrder', mode: 'error-5xx', status: 400, count: 1 });
    const order = oneTimeOrder();
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    const parked = await waitForStatus(stack, accountId, order.orderId, 'NeedsAttention');
    assert.equal(parked.attention.step, 'recordKeapPayment');
    assert.match(parked.attention.error, /createPaymentForAnOrder failed with 400/);
    const resumed = await stack.call('POST', `/v1/accounts/${accountId}/orders/${order.orderId}/resume`);
    assert.equal(resumed.status, 202);
    await waitForStatus(stack, accountId, order.orderId, 'Paid');
    const again = await stack.call('POST', `/v1/accounts/${accountId}/orders/${order.orderId}/resume`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'order_not_waiting');
    const orders = await keapOrdersForEmail(stack, order.customer.email);
    assert.equal(orders.length, 1);
    assert.equal((await keapGet(stack, `/orders/${orders[0].id}/payments`)).invoice_order_payments.length, 1);
  });

  it('serves lifecycles only for orders that exist', async () => {
    const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/no-such-order`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'order_not_found');
  });
});
