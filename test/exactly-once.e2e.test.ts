/**
 * Exactly once beyond one process and beyond Temporal's memory (issue 11, items 2 and 5): an order
 * posted again after its workflow's history is gone (as namespace retention deletes it), and the
 * same sale written by two worker processes at once, still make one Keap order with one payment.
 */
import { strict as assert } from 'node:assert';
import { MockActivityEnvironment } from '@temporalio/testing';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createActivities } from '../activities';
import { PostgresAccountStore } from '../accounts/postgres-store';
import { PostgresCheckoutStore } from '../checkouts/postgres-store';
import { KeapConnections } from '../accounts/connections';
import type { WriteKeapSaleInput, WrittenSale } from '../orders/activities/sales';
import { keapOrderKey } from '../orders/order';
import { startKeapSandbox } from '../keap-sandbox';
import type { KeapSandbox } from '../keap-sandbox';
import type { Database } from '../platform/database';
import { sharedTestDatabase } from './support/database';
import {
  createAccount,
  keapGet,
  keapOrdersForEmail,
  oneTimeOrder,
  SANDBOX_KEY,
  uniqueId,
  waitFor,
  waitForStatus,
} from './support/fixtures';
import { getStack } from './support/stack';
import type { Stack } from './support/stack';
import { connectedAccount } from './support/accounts';

/** Deletes a closed workflow's history, as the namespace's retention does, and waits until it is gone. */
async function forgetWorkflow(stack: Stack, workflowId: string): Promise<void> {
  await stack.client.workflowService.deleteWorkflowExecution({
    namespace: stack.env.namespace ?? 'default',
    workflowExecution: { workflowId },
  });
  // The server deletes asynchronously (the dev server takes about 30 s).
  await waitFor(
    `${workflowId}'s history to be deleted`,
    async () => {
      try {
        await stack.client.workflow.getHandle(workflowId).describe();
        return undefined;
      } catch (error) {
        return error instanceof WorkflowNotFoundError ? true : undefined;
      }
    },
    120_000,
  );
}

async function workflowExists(stack: Stack, workflowId: string): Promise<boolean> {
  try {
    await stack.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

async function paymentsOf(stack: Stack, keapOrderId: string): Promise<any[]> {
  return (await keapGet(stack, `/orders/${keapOrderId}/payments`)).invoice_order_payments ?? [];
}

describe('exactly once after Temporal forgot the order', function () {
  this.timeout(90_000);
  let stack: Stack;
  let accountId: string;
  // Three orders, each run to its end, then deleted together (a deletion takes the dev server ~30 s).
  const oneTime = oneTimeOrder();
  const unregistered = oneTimeOrder();
  const planId = uniqueId('plan');
  const plan = {
    ...oneTimeOrder({ orderId: planId }),
    items: [{ sku: 'COURSE-1', name: 'Course', quantity: 1, unitAmount: 30000 }],
    plan: { type: 'payment_plan', installments: 2, installmentAmount: 15000, interval: 'month', intervalCount: 1 },
    payment: { id: `in_${planId}_1`, amount: 15000, paidAt: '2026-11-21T10:00:00Z' },
  };
  const workflowId = (orderId: string) => `order:${accountId}:${orderId}`;
  const closed: Record<string, any> = {};

  before(async function () {
    this.timeout(240_000);
    stack = await getStack();
    accountId = await createAccount(stack);
    for (const order of [oneTime, unregistered, plan]) {
      assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, order)).status, 202);
    }
    await waitForStatus(stack, accountId, planId, 'AwaitingInstallment');
    const second = { id: `in_${planId}_2`, amount: 15000, paidAt: '2026-12-21T10:00:00Z' };
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders/${planId}/payments`, second)).status, 202);
    closed[oneTime.orderId] = await waitForStatus(stack, accountId, oneTime.orderId, 'Paid');
    closed[unregistered.orderId] = await waitForStatus(stack, accountId, unregistered.orderId, 'Paid');
    closed[planId] = await waitForStatus(stack, accountId, planId, 'PaidInFull');
    await Promise.all(
      [oneTime.orderId, unregistered.orderId, planId].map(async (orderId) => {
        await waitFor('the workflow to close', async () =>
          (await stack.client.workflow.getHandle(workflowId(orderId)).describe()).status.name === 'COMPLETED'
            ? true
            : undefined,
        );
        await forgetWorkflow(stack, workflowId(orderId));
      }),
    );
  });

  it('a one-time order posted again after its history was deleted is a duplicate: one Keap order, one payment, no new workflow', async () => {
    const again = await stack.call('POST', `/v1/accounts/${accountId}/orders`, oneTime);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.duplicate, true);
    assert.equal(await workflowExists(stack, workflowId(oneTime.orderId)), false, 'no workflow starts it over');
    const changed = await stack.call('POST', `/v1/accounts/${accountId}/orders`, {
      ...oneTime,
      items: [{ ...oneTime.items[0], quantity: 1 }],
      payment: { ...oneTime.payment, amount: 1999 },
    });
    assert.equal(changed.status, 409, 'other content under a used order id is still a conflict');

    const orders = await keapOrdersForEmail(stack, oneTime.customer.email);
    assert.equal(orders.length, 1);
    assert.equal(orders[0].id, closed[oneTime.orderId].keapOrderId);
    assert.equal((await paymentsOf(stack, closed[oneTime.orderId].keapOrderId)).length, 1);
  });

  it('a payment plan posted again after its history was deleted does not start its life over', async () => {
    const again = await stack.call('POST', `/v1/accounts/${accountId}/orders`, plan);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.duplicate, true);
    assert.equal(
      await workflowExists(stack, workflowId(planId)),
      false,
      'the plan does not wait for installments again',
    );
    assert.equal((await paymentsOf(stack, closed[planId].keapOrderId)).length, 2);
  });

  it('an order the registry never saw (placed before it existed) starts again, and the ledger lets it write nothing twice', async () => {
    const order = unregistered;
    await stack.db.query('DELETE FROM orders WHERE account_id = $1 AND order_id = $2', [accountId, order.orderId]);
    const writes: string[] = [];
    const stop = stack.sandbox.onExchange((ex) => {
      if (ex.method !== 'GET' && JSON.stringify([ex.path, ex.requestBody]).includes(order.orderId)) {
        writes.push(ex.operationId ?? ex.path);
      }
    });
    try {
      const again = await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
      assert.equal(again.status, 202, JSON.stringify(again.body));
      assert.equal(again.body.duplicate, false, 'Temporal no longer knows it: a new workflow');
      const repeated = await waitForStatus(stack, accountId, order.orderId, 'Paid');
      assert.equal(
        repeated.keapOrderId,
        closed[order.orderId].keapOrderId,
        'the ledger names the order written before',
      );
    } finally {
      stop();
    }
    assert.deepEqual(writes, [], 'no Keap write for an order and payment the ledger knows');
    assert.equal((await keapOrdersForEmail(stack, order.customer.email)).length, 1);
    assert.equal((await paymentsOf(stack, closed[order.orderId].keapOrderId)).length, 1);
  });
});

describe('exactly once across worker processes', function () {
  this.timeout(60_000);
  let sandbox: KeapSandbox;

  beforeEach(async () => {
    sandbox = await startKeapSandbox({ port: 0, latencyMs: 30 });
  });
  afterEach(() => sandbox.close());

  /** A worker process's activities: its own pools on the shared database, nothing shared in memory. */
  function workerActivities(db: Database) {
    const accounts = new PostgresAccountStore(db);
    return createActivities({
      db,
      accounts,
      checkouts: new PostgresCheckoutStore(db),
      connections: new KeapConnections(accounts, undefined),
      requestRefresh: () => Promise.reject(new Error('no OAuth here')),
      defaultKeapBaseUrl: sandbox.url,
      keapTimeoutMs: 5_000,
    });
  }

  /** An account on the sandbox, stored in `db`, and the input of one sale of a one-time order. */
  async function saleFor(db: Database) {
    const accountId = uniqueId('acct');
    const now = new Date().toISOString();
    await new PostgresAccountStore(db).put(connectedAccount(accountId));
    const order = oneTimeOrder();
    const input: WriteKeapSaleInput = {
      accountId,
      customer: order.customer,
      lines: order.items,
      order: {
        orderKey: keapOrderKey(accountId, order.orderId),
        title: `Checkout order ${order.orderId}`,
        orderTime: now,
        currency: 'USD',
        shippingAddress: order.customer.address,
      },
      payment: order.payment,
      mayHaveWritten: false,
    };
    return { order, input };
  }

  /** Runs writeKeapSale as attempt `attempt` of an activity on a worker with its own pools on `db`. */
  function writeSale(db: Database, input: WriteKeapSaleInput, attempt = 1): Promise<WrittenSale> {
    const activities = workerActivities(db);
    return new MockActivityEnvironment({ attempt, startToCloseTimeoutMs: 45_000 }).run<
      [WriteKeapSaleInput],
      WrittenSale,
      (input: WriteKeapSaleInput) => Promise<WrittenSale>
    >((sale) => activities.writeKeapSale(sale), input);
  }

  const keap = (path: string) =>
    fetch(`${sandbox.url}/rest/v2${path}`, { headers: { 'X-Keap-API-Key': SANDBOX_KEY } }).then(
      (res) => res.json() as Promise<any>,
    );

  it('two workers writing the same sale at once (each on its first try) make one key field, one order, one payment', async () => {
    const dbs = await sharedTestDatabase(2);
    // Both believe they are the first try: what a second host sees when the first was presumed dead.
    const { order, input } = await saleFor(dbs[0]!);
    const sales = await Promise.all(dbs.map((db) => writeSale(db, input)));
    assert.equal(sales[0]!.keapOrder.keapOrderId, sales[1]!.keapOrder.keapOrderId);
    assert.equal(sales[0]!.payment.keapPaymentId, sales[1]!.payment.keapPaymentId);

    const fields = (await keap('/orders/model')).custom_fields.filter((f: any) => f.label === 'Sales Sync Order Key');
    assert.equal(fields.length, 1, 'one order-key field');
    const contacts = (await keap(`/contacts?filter=${encodeURIComponent(`email==${order.customer.email}`)}`)).contacts;
    assert.equal(contacts.length, 1, 'one contact');
    const orders = (await keap(`/orders?filter=${encodeURIComponent(`contact_id==${contacts[0].id}`)}`)).orders;
    assert.equal(orders.length, 1, 'one order');
    assert.equal((await keap(`/orders/${orders[0].id}/payments`)).invoice_order_payments.length, 1, 'one payment');
    const products = (await keap(`/products?filter=${encodeURIComponent('sku==BOOK-1')}`)).products;
    assert.equal(products.length, 1, 'one product per SKU');
  });

  it('a sale whose calls meet a 503, a reset connection and lost answers finishes in its first attempt, each record once', async () => {
    const [db] = await sharedTestDatabase(1);
    const { order, input } = await saleFor(db!);
    sandbox.faults.inject({ operation: 'listContacts', mode: 'error-5xx', status: 503 });
    sandbox.faults.inject({ operation: 'createContact', mode: 'commit-then-lose' });
    sandbox.faults.inject({ operation: 'createOrder', mode: 'commit-then-lose' });
    sandbox.faults.inject({ operation: 'createPaymentForAnOrder', mode: 'connection-reset' });
    const sale = await writeSale(db!, input, 1);
    const contacts = (await keap(`/contacts?filter=${encodeURIComponent(`email==${order.customer.email}`)}`)).contacts;
    assert.equal(contacts.length, 1, 'one contact');
    const orders = (await keap(`/orders?filter=${encodeURIComponent(`contact_id==${contacts[0].id}`)}`)).orders;
    assert.deepEqual(
      orders.map((o: any) => o.id),
      [sale.keapOrder.keapOrderId],
      'one order',
    );
    assert.equal((await keap(`/orders/${orders[0].id}/payments`)).invoice_order_payments.length, 1, 'one payment');
  });
});
