/**
 * Orders waiting for a Keap reconnect (issue 11, item 9), on the time-skipping server with the real
 * worker. A broken connection parks an order in WaitingForReconnect; it re-checks now and then in case
 * the merchant's reconnect signal is missed. Every 15 minutes, with two search-attribute upserts each
 * time, that was ~1,300 history events a day, and after ~5 weeks Temporal terminated the workflow: the
 * order was never written. Now the re-check backs off (15 minutes doubling to 12 hours), re-checks
 * change no search attribute, and a long wait continues as new, carrying the parked step, so a year of
 * waiting stays a few thousand events, and the order still lands exactly once when the merchant returns.
 */
import { strict as assert } from 'node:assert';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Account } from '../accounts/account';
import { OrderClient } from '../orders/client';
import type { OrderLifecycle } from '../orders/order';
import type { OrderRequest } from '../orders/order-schema';
import { keapReconnectedSignal } from '../orders/workflow/definitions';
import { uniqueId } from './support/fixtures';
import { startTimeSkippingStack } from './support/time-skipping';
import type { TimeSkippingStack } from './support/time-skipping';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const { EventType } = temporal.api.enums.v1;

describe('waiting for a Keap reconnect (time-skipping)', function () {
  this.timeout(300_000);
  let ts: TimeSkippingStack;

  before(async function () {
    this.timeout(120_000);
    ts = await startTimeSkippingStack();
  });

  after(async function () {
    this.timeout(60_000);
    await ts?.stop();
  });

  async function keap(path: string): Promise<any> {
    const res = await fetch(`${ts.sandbox.url}/rest/v2${path}`, { headers: { 'X-Keap-API-Key': ts.sandbox.apiKey } });
    assert.ok(res.ok, `Keap GET ${path} → ${res.status}`);
    return res.json();
  }

  async function keapOrdersOf(email: string): Promise<any[]> {
    const contacts = (await keap(`/contacts?filter=${encodeURIComponent(`email==${email}`)}`)).contacts ?? [];
    const orders: any[] = [];
    for (const contact of contacts) {
      orders.push(...((await keap(`/orders?filter=${encodeURIComponent(`contact_id==${contact.id}`)}`)).orders ?? []));
    }
    return orders;
  }

  async function until(
    orders: OrderClient,
    account: Account,
    orderId: string,
    done: (lc: OrderLifecycle) => boolean,
    what: string,
  ): Promise<OrderLifecycle> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const lc = await orders.lifecycle(account.accountId, orderId).catch(() => undefined);
      if (lc && done(lc)) return lc;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last: ${JSON.stringify(lc)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Every run of the workflow, newest first, with its history's events. */
  async function runs(handle: WorkflowHandle): Promise<temporal.api.history.v1.IHistoryEvent[][]> {
    const all: temporal.api.history.v1.IHistoryEvent[][] = [];
    let runId: string | undefined = (await handle.describe()).runId;
    while (runId) {
      const history: temporal.api.history.v1.IHistory = await ts.env.client.workflow
        .getHandle(handle.workflowId, runId)
        .fetchHistory();
      const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
      all.push(events);
      runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    }
    return all;
  }

  const count = (events: temporal.api.history.v1.IHistoryEvent[], type: temporal.api.enums.v1.EventType) =>
    events.filter((e) => e.eventType === type).length;

  async function breakConnection(account: Account): Promise<void> {
    await ts.accounts.update(account.accountId, (a) => ({
      ...a,
      connection: {
        status: 'needs_reconnect',
        reason: 'Keap refused the refresh token',
        since: new Date().toISOString(),
      },
    }));
  }

  async function reconnect(account: Account): Promise<void> {
    await ts.accounts.update(account.accountId, (a) => ({
      ...a,
      connection: { status: 'connected', since: new Date().toISOString() },
    }));
  }

  function oneTime(orderId: string): OrderRequest {
    return {
      orderId,
      customer: { email: `${orderId}@example.com`, firstName: 'Wai', lastName: 'Ting' },
      items: [{ sku: 'BOOK-1', name: 'The Book', quantity: 1, unitAmount: 2_500 }],
      currency: 'USD',
      plan: { type: 'one_time' },
      payment: { id: `pi_${orderId}`, amount: 2_500, paidAt: new Date().toISOString() },
    };
  }

  it('60 days waiting cost a few hundred events a month, not ~1,300 a day; a missed reconnect signal still lands the order once', async () => {
    const orders = new OrderClient(ts.env.client, ts.taskQueue);
    const account = await ts.addAccount(uniqueId('acct'));
    await breakConnection(account);
    const order = oneTime(uniqueId('waits'));
    await orders.submit(account, order);
    const parked = await until(orders, account, order.orderId, (l) => l.status === 'WaitingForReconnect', 'parked');
    assert.equal(parked.attention?.step, 'ensureProducts');

    await ts.env.sleep(60 * DAY);
    const handle = ts.env.client.workflow.getHandle(`order:${account.accountId}:${order.orderId}`);
    const waited = await runs(handle);
    const events = waited.flat();
    const timers = count(events, EventType.EVENT_TYPE_TIMER_STARTED);
    // 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, then every 12 h: ~125 re-checks in 60 days (was 5,760).
    assert.ok(timers >= 100 && timers <= 140, `re-checks in 60 days: ${timers}`);
    // Re-checks change no search attribute: every upsert of a run comes before its first re-check timer
    // (the status turning WaitingForReconnect; the test server also indexes each patch marker).
    for (const run of waited) {
      const firstTimer = run.findIndex((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
      const late = count(run.slice(firstTimer), EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
      assert.equal(late, 0, `upserts after the first re-check of a run of ${run.length} events`);
    }
    assert.ok(events.length < 1_600, `events in 60 days: ${events.length}`);
    for (const run of waited) assert.ok(run.length <= 1_100, `a run of ${run.length} events`);
    const lc = await orders.lifecycle(account.accountId, order.orderId);
    assert.equal(lc?.status, 'WaitingForReconnect');
    assert.deepEqual(await keapOrdersOf(order.customer.email), []);

    // The merchant reconnects, and the signal is lost: the next re-check (at most 12 h) finds it.
    await reconnect(account);
    await ts.env.sleep(12 * HOUR + 60_000);
    const paid: OrderLifecycle = await handle.result();
    assert.equal(paid.status, 'Paid');
    assert.equal(paid.payments.length, 1);
    assert.equal(paid.attention, undefined);
    const keapOrders = await keapOrdersOf(order.customer.email);
    assert.equal(keapOrders.length, 1);
    assert.equal(keapOrders[0].status, 'PAID');
    assert.equal((await keap(`/orders/${keapOrders[0].id}/payments`)).invoice_order_payments.length, 1);
  });

  it('a parked first write carries over continue-as-new: one Keap order and one payment after the reconnect', async () => {
    const orders = new OrderClient(ts.env.client, ts.taskQueue, { continueAsNewAfterEvents: 40 });
    const account = await ts.addAccount(uniqueId('acct'));
    await breakConnection(account);
    const order = oneTime(uniqueId('carried'));
    await orders.submit(account, order);
    await until(orders, account, order.orderId, (l) => l.status === 'WaitingForReconnect', 'parked');
    await ts.env.sleep(5 * DAY);
    const handle = ts.env.client.workflow.getHandle(`order:${account.accountId}:${order.orderId}`);
    const waited = await runs(handle);
    assert.ok(waited.length >= 2, `continued as new while waiting: ${waited.length} runs`);
    const lc = await orders.lifecycle(account.accountId, order.orderId);
    assert.equal(lc?.status, 'WaitingForReconnect');
    assert.equal(lc?.attention?.step, 'ensureProducts');

    await reconnect(account);
    await handle.signal(keapReconnectedSignal);
    const paid: OrderLifecycle = await handle.result();
    assert.equal(paid.status, 'Paid');
    assert.equal(paid.payments.length, 1);
    assert.deepEqual(paid.ignoredPayments, []);
    const keapOrders = await keapOrdersOf(order.customer.email);
    assert.equal(keapOrders.length, 1);
    assert.equal((await keap(`/orders/${keapOrders[0].id}/payments`)).invoice_order_payments.length, 1);
  });

  it('a plan installment parked for a reconnect carries over continue-as-new and is recorded once', async () => {
    const orders = new OrderClient(ts.env.client, ts.taskQueue, { continueAsNewAfterEvents: 40 });
    const account = await ts.addAccount(uniqueId('acct'));
    const orderId = uniqueId('plan');
    const start = await ts.env.currentTimeMs();
    const plan: OrderRequest = {
      orderId,
      customer: { email: `${orderId}@example.com`, firstName: 'Pat' },
      items: [{ sku: 'COURSE-1', name: 'Course', quantity: 1, unitAmount: 30_000 }],
      currency: 'USD',
      plan: { type: 'payment_plan', installments: 3, installmentAmount: 10_000, interval: 'month', intervalCount: 1 },
      payment: { id: `in_${orderId}_1`, amount: 10_000, paidAt: new Date(start).toISOString() },
    };
    await orders.submit(account, plan);
    await until(orders, account, orderId, (l) => l.installments?.paid === 1, 'the first installment');

    await breakConnection(account);
    const second = { id: `in_${orderId}_2`, amount: 10_000, paidAt: new Date(start + DAY).toISOString() };
    await orders.deliver(account.accountId, orderId, {
      kind: 'payment',
      payment: { ...second, sequence: 'recurring', source: 'stripe' },
    });
    const parked = await until(orders, account, orderId, (l) => l.status === 'WaitingForReconnect', 'parked');
    assert.equal(parked.attention?.step, 'recordKeapPayment');
    await ts.env.sleep(5 * DAY);
    const handle = ts.env.client.workflow.getHandle(`order:${account.accountId}:${orderId}`);
    assert.ok((await runs(handle)).length >= 2, 'continued as new while waiting');

    await reconnect(account);
    await handle.signal(keapReconnectedSignal);
    const lc = await until(orders, account, orderId, (l) => l.installments?.paid === 2, 'the second installment');
    assert.equal(lc.status, 'AwaitingInstallment');
    assert.deepEqual(
      lc.payments.map((p) => p.id),
      [plan.payment!.id, second.id],
    );
    assert.equal(lc.totalPaid, 20_000);
    const payments = (await keap(`/orders/${lc.keapOrderId}/payments`)).invoice_order_payments;
    assert.equal(payments.length, 2);
  });

  it('a past-due tag parked for a reconnect carries over continue-as-new: the order stays PastDue, tagged once', async () => {
    const orders = new OrderClient(ts.env.client, ts.taskQueue, { continueAsNewAfterEvents: 40 });
    const account = await ts.addAccount(uniqueId('acct'), { gracePeriodDays: 1, pastDueTag: 'Sales Sync: past due' });
    const orderId = uniqueId('plan');
    const start = await ts.env.currentTimeMs();
    const plan: OrderRequest = {
      orderId,
      customer: { email: `${orderId}@example.com`, firstName: 'Pat' },
      items: [{ sku: 'COURSE-1', name: 'Course', quantity: 1, unitAmount: 20_000 }],
      currency: 'USD',
      plan: { type: 'payment_plan', installments: 2, installmentAmount: 10_000, interval: 'week', intervalCount: 1 },
      payment: { id: `in_${orderId}_1`, amount: 10_000, paidAt: new Date(start).toISOString() },
    };
    await orders.submit(account, plan);
    const first = await until(orders, account, orderId, (l) => l.installments?.paid === 1, 'the first installment');

    // Nothing arrives by the due date plus grace, and the connection is broken when the tag goes on.
    await breakConnection(account);
    await ts.env.sleep(7 * DAY + DAY + 60_000);
    const parked = await until(orders, account, orderId, (l) => l.status === 'WaitingForReconnect', 'parked');
    assert.equal(parked.attention?.step, 'tagContact');
    await ts.env.sleep(5 * DAY);
    const handle = ts.env.client.workflow.getHandle(`order:${account.accountId}:${orderId}`);
    assert.ok((await runs(handle)).length >= 2, 'continued as new while waiting');

    await reconnect(account);
    await handle.signal(keapReconnectedSignal);
    const lc = await until(orders, account, orderId, (l) => l.status === 'PastDue', 'PastDue again');
    assert.equal(lc.attention, undefined);
    assert.equal(lc.installments?.paid, 1);
    const tags = (await keap(`/contacts/${first.keapContactId}/tags`)).tags?.map((t: any) => t.tag?.name ?? t.name);
    assert.deepEqual(tags, ['Sales Sync: past due']);
  });
});
