/**
 * Payment plans and subscriptions over months and years, on the time-skipping test server, with the
 * real worker and activities writing to the Keap sandbox. Orders and events go through the same
 * OrderClient the HTTP API and Stripe webhooks use.
 */
import { strict as assert } from 'node:assert';
import type { Account } from '../accounts/account';
import { OrderClient } from '../orders/client';
import type { OrderLifecycle } from '../orders/order';
import type { PaymentEvent } from '../orders/order-events';
import type { OrderRequest } from '../orders/order-schema';
import { addIntervals } from '../common/schedule';
import { uniqueId } from './support/fixtures';
import { startTimeSkippingStack } from './support/time-skipping';
import type { TimeSkippingStack } from './support/time-skipping';

const DAY = 86_400_000;

describe('payment plans and subscriptions (time-skipping)', function () {
  this.timeout(180_000);
  let ts: TimeSkippingStack;
  let orderClient: OrderClient;

  before(async function () {
    this.timeout(120_000);
    ts = await startTimeSkippingStack();
    orderClient = new OrderClient(ts.env.client, ts.taskQueue, { continueAsNewAfterEvents: 150 });
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

  async function keapOrdersOf(contactId: string): Promise<any[]> {
    const orders: any[] = [];
    let token = '';
    do {
      const page = await keap(
        `/orders?filter=${encodeURIComponent(`contact_id==${contactId}`)}&page_size=100${token ? `&page_token=${token}` : ''}`,
      );
      orders.push(...(page.orders ?? []));
      token = page.next_page_token ?? '';
    } while (token);
    return orders;
  }

  /** Waits until the contact has `count` Keap orders. */
  async function keapOrderCount(contactId: string, count: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while ((await keapOrdersOf(contactId)).length < count) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${count} Keap orders`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function now(): Promise<number> {
    return ts.env.currentTimeMs();
  }

  async function until(
    account: Account,
    orderId: string,
    done: (lc: OrderLifecycle) => boolean,
    what: string,
  ): Promise<OrderLifecycle> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const lc = await orderClient.lifecycle(account.accountId, orderId);
      if (lc && done(lc)) return lc;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last: ${JSON.stringify(lc)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Moves the test server's clock to `atMs` (never backwards). */
  async function advanceTo(atMs: number): Promise<void> {
    const current = await now();
    if (atMs > current) await ts.env.sleep(atMs - current);
  }

  function payment(
    id: string,
    amount: number,
    paidAtMs: number,
    sequence: PaymentEvent['sequence'] = 'recurring',
  ): PaymentEvent {
    return { id, amount, paidAt: new Date(paidAtMs).toISOString(), sequence, source: 'stripe' };
  }

  function planOrder(plan: Extract<OrderRequest['plan'], { type: 'payment_plan' }>, paidAtMs: number): OrderRequest {
    const orderId = uniqueId('plan');
    return {
      orderId,
      customer: { email: `${orderId}@example.com`, firstName: 'Pat', lastName: 'Planner' },
      items: [{ sku: 'COURSE-1', name: 'Course', quantity: 1, unitAmount: plan.installments * plan.installmentAmount }],
      currency: 'USD',
      plan,
      payment: { id: `in_${orderId}_1`, amount: plan.installmentAmount, paidAt: new Date(paidAtMs).toISOString() },
    };
  }

  it('records a 12-installment monthly plan on ONE Keap order, partially paid until the last: PAID with 12 payments', async () => {
    const account = await ts.addAccount(uniqueId('acct'));
    const start = await now();
    const plan = {
      type: 'payment_plan' as const,
      installments: 12,
      installmentAmount: 10_000,
      interval: 'month' as const,
      intervalCount: 1,
    };
    const order = planOrder(plan, start);
    assert.equal((await orderClient.submit(account, order)).outcome, 'started');

    let lc = await until(account, order.orderId, (l) => l.installments?.paid === 1, 'the first installment');
    assert.equal(lc.status, 'AwaitingInstallment');
    const keapOrderId = lc.keapOrderId!;
    let keapOrder = await keap(`/orders/${keapOrderId}`);
    assert.equal(keapOrder.status, 'DRAFT', 'partially paid');
    assert.equal(keapOrder.total.amount, 120_000);
    assert.equal(keapOrder.total_paid.amount, 10_000);
    assert.equal(lc.nextDueAt, addIntervals(new Date(start).toISOString(), 'month', 1));

    for (let k = 2; k <= 12; k++) {
      const due = Date.parse(addIntervals(new Date(start).toISOString(), 'month', k - 1));
      await advanceTo(due);
      await orderClient.deliver(account.accountId, order.orderId, {
        kind: 'payment',
        payment: payment(`in_${order.orderId}_${k}`, 10_000, due),
      });
      if (k === 5) {
        // Stripe redelivers an installment: still recorded once.
        await orderClient.deliver(account.accountId, order.orderId, {
          kind: 'payment',
          payment: payment(`in_${order.orderId}_${k}`, 10_000, due),
        });
      }
      lc = await until(account, order.orderId, (l) => l.installments?.paid === k, `installment ${k}`);
      assert.equal(lc.status, k === 12 ? 'PaidInFull' : 'AwaitingInstallment');
    }
    const result: OrderLifecycle = await ts.env.client.workflow.getHandle(lc.workflowId).result();
    assert.equal(result.status, 'PaidInFull');
    assert.equal(result.balance, 0);
    keapOrder = await keap(`/orders/${keapOrderId}`);
    assert.equal(keapOrder.status, 'PAID');
    assert.equal(keapOrder.total_paid.amount, 120_000);
    const payments = (await keap(`/orders/${keapOrderId}/payments`)).invoice_order_payments;
    assert.equal(payments.length, 12);
    assert.equal((await keapOrdersOf(lc.keapContactId!)).length, 1, 'one Keap order for the whole plan');
  });

  it('runs a 3-year monthly subscription: 36 paid Keap orders, continuing as new, deduplicating across runs', async () => {
    const account = await ts.addAccount(uniqueId('acct'));
    const start = await now();
    const orderId = uniqueId('sub');
    const order: OrderRequest = {
      orderId,
      customer: { email: `${orderId}@example.com`, firstName: 'Sam', lastName: 'Subscriber' },
      items: [{ sku: 'BOX-MONTHLY', name: 'Monthly box', quantity: 1, unitAmount: 2_900 }],
      currency: 'USD',
      plan: { type: 'subscription', amount: 2_900, interval: 'month', intervalCount: 1 },
      payment: { id: `in_${orderId}_1`, amount: 2_900, paidAt: new Date(start).toISOString() },
    };
    await orderClient.submit(account, order);
    const lc = await until(account, orderId, (l) => l.cycles === 1, 'the first cycle');
    assert.equal(lc.status, 'Active');
    const firstRun = (await ts.env.client.workflow.getHandle(lc.workflowId).describe()).runId;
    // The webhook copy of the first payment (billing_reason subscription_create) is not a renewal.
    await orderClient.deliver(account.accountId, orderId, {
      kind: 'payment',
      payment: payment(`in_${orderId}_stripe_first`, 2_900, start, 'initial'),
    });

    for (let cycle = 2; cycle <= 36; cycle++) {
      const due = Date.parse(addIntervals(new Date(start).toISOString(), 'month', cycle - 1));
      await advanceTo(due);
      await orderClient.deliver(account.accountId, orderId, {
        kind: 'payment',
        payment: payment(`in_${orderId}_${cycle}`, 2_900, due),
      });
      // Progress is read from Keap, not by querying the workflow: on the time-skipping server a query
      // racing a continue-as-new can leave time locked (its "Task not found" race), hanging env.sleep.
      await keapOrderCount(lc.keapContactId!, cycle);
    }
    // A renewal redelivered long after (and after continue-as-new) is still recorded once.
    await orderClient.deliver(account.accountId, orderId, {
      kind: 'payment',
      payment: payment(`in_${orderId}_3`, 2_900, start),
    });
    await orderClient.deliver(account.accountId, orderId, {
      kind: 'cancelled',
      cancellation: { at: new Date(await now()).toISOString(), source: 'stripe' },
    });
    const result: OrderLifecycle = await ts.env.client.workflow.getHandle(lc.workflowId).result();
    assert.equal(result.status, 'Cancelled');
    assert.equal(result.cycles, 36);
    assert.equal(result.totalPaid, 36 * 2_900);
    assert.deepEqual(
      result.ignoredPayments.map((p) => p.id),
      [`in_${orderId}_stripe_first`],
    );
    const lastRun = (await ts.env.client.workflow.getHandle(lc.workflowId).describe()).runId;
    assert.notEqual(lastRun, firstRun, 'the workflow continued as new');

    const orders = await keapOrdersOf(result.keapContactId!);
    assert.equal(orders.length, 36, 'one Keap order per paid cycle');
    assert.ok(orders.every((o) => o.status === 'PAID' && o.total.amount === 2_900));
    assert.equal(new Set(result.keapOrderIds).size, 36);
  });

  it('turns an unpaid installment PastDue after the grace period, tags the contact, and clears both when it is paid', async () => {
    const account = await ts.addAccount(uniqueId('acct'), { gracePeriodDays: 2, pastDueTag: 'Sales Sync: past due' });
    const start = await now();
    const order = planOrder(
      { type: 'payment_plan', installments: 3, installmentAmount: 5_000, interval: 'week', intervalCount: 1 },
      start,
    );
    await orderClient.submit(account, order);
    await until(account, order.orderId, (l) => l.installments?.paid === 1, 'the first installment');

    await advanceTo(start + 7 * DAY + 2 * DAY + 60_000);
    let lc = await until(account, order.orderId, (l) => l.status === 'PastDue', 'PastDue');
    // The status shows first and the tag follows in the next activity, so tags are awaited, not sampled.
    const tagsBecome = async (expected: string[]) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const tags =
          (await keap(`/contacts/${lc.keapContactId}/tags`)).tags?.map((t: any) => t.tag?.name ?? t.name) ?? [];
        if (JSON.stringify(tags) === JSON.stringify(expected)) return;
        if (Date.now() > deadline) assert.deepEqual(tags, expected);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await tagsBecome(['Sales Sync: past due']);

    await orderClient.deliver(account.accountId, order.orderId, {
      kind: 'payment',
      payment: payment(`in_${order.orderId}_2`, 5_000, await now()),
    });
    lc = await until(account, order.orderId, (l) => l.installments?.paid === 2, 'the late installment');
    await tagsBecome([]);
    lc = await until(account, order.orderId, (l) => l.status === 'AwaitingInstallment', 'AwaitingInstallment');

    await orderClient.deliver(account.accountId, order.orderId, {
      kind: 'payment_failed',
      failure: {
        id: `in_${order.orderId}_3`,
        amount: 5_000,
        failedAt: new Date(await now()).toISOString(),
        reason: 'card_declined',
        source: 'stripe',
      },
    });
    lc = await until(account, order.orderId, (l) => l.status === 'PaymentFailed', 'PaymentFailed');
    assert.equal(lc.failures.length, 1);
    await tagsBecome(['Sales Sync: past due']);
    await orderClient.deliver(account.accountId, order.orderId, {
      kind: 'payment',
      payment: payment(`in_${order.orderId}_3`, 5_000, await now()),
    });
    lc = await until(account, order.orderId, (l) => l.status === 'PaidInFull', 'PaidInFull');
    await tagsBecome([]);
    assert.equal((await keap(`/orders/${lc.keapOrderId}`)).status, 'PAID');
  });

  it('ends a cancelled plan with its balance open', async () => {
    const account = await ts.addAccount(uniqueId('acct'));
    const start = await now();
    const order = planOrder(
      { type: 'payment_plan', installments: 4, installmentAmount: 2_500, interval: 'month', intervalCount: 1 },
      start,
    );
    await orderClient.submit(account, order);
    await until(account, order.orderId, (l) => l.installments?.paid === 1, 'the first installment');
    await orderClient.deliver(account.accountId, order.orderId, {
      kind: 'cancelled',
      cancellation: { at: new Date(start).toISOString(), reason: 'customer request', source: 'api' },
    });
    const result: OrderLifecycle = await ts.env.client.workflow
      .getHandle(`order:${account.accountId}:${order.orderId}`)
      .result();
    assert.equal(result.status, 'Cancelled');
    assert.equal(result.balance, 7_500);
    const keapOrder = await keap(`/orders/${result.keapOrderId}`);
    assert.equal(keapOrder.status, 'DRAFT');
    assert.equal(keapOrder.total_due.amount, 7_500);
    assert.equal(
      await orderClient.deliver(account.accountId, order.orderId, {
        kind: 'payment',
        payment: payment('late', 2_500, start),
      }),
      'closed',
    );
  });

  it('syncs a trial subscriber without a Keap order until the first payment', async () => {
    const account = await ts.addAccount(uniqueId('acct'));
    const orderId = uniqueId('trial');
    const order: OrderRequest = {
      orderId,
      customer: { email: `${orderId}@example.com` },
      items: [{ sku: 'APP-PRO', name: 'App Pro', quantity: 1, unitAmount: 1_500 }],
      currency: 'USD',
      plan: { type: 'subscription', amount: 1_500, interval: 'month', intervalCount: 1, trialDays: 14 },
    };
    await orderClient.submit(account, order);
    let lc = await until(account, orderId, (l) => l.status === 'Trialing', 'Trialing');
    assert.ok(lc.keapContactId);
    assert.equal((await keapOrdersOf(lc.keapContactId)).length, 0);
    await advanceTo((await now()) + 14 * DAY);
    await orderClient.deliver(account.accountId, orderId, {
      kind: 'payment',
      payment: payment(`in_${orderId}_1`, 1_500, await now(), 'initial'),
    });
    lc = await until(account, orderId, (l) => l.cycles === 1, 'the first paid cycle');
    assert.equal(lc.status, 'Active');
    const orders = await keapOrdersOf(lc.keapContactId!);
    assert.equal(orders.length, 1);
    assert.equal(orders[0].status, 'PAID');
  });
});
