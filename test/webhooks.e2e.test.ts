/**
 * Stripe webhooks end to end: signed with stripe's own test-header helper, posted to the real HTTP
 * API, delivered to order workflows on the real dev server, written to the Keap sandbox.
 */
import { strict as assert } from 'node:assert';
import { invoicePaid, invoicePaymentFailed, signEvent, subscriptionDeleted } from '../scripts/stripe-events';
import { getStack, STRIPE_WEBHOOK_SECRET } from './support/stack';
import type { Stack } from './support/stack';
import { createAccount, keapGet, keapOrdersForEmail, uniqueId, waitFor, waitForStatus } from './support/fixtures';

describe('Stripe webhooks end to end', function () {
  this.timeout(90_000);
  let stack: Stack;
  let accountId: string;

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    accountId = await createAccount(stack, uniqueId('acct'), { pastDueTag: 'Sales Sync: payment failed' });
  });

  async function post(event: object, options: { secret?: string; timestamp?: number; tamper?: boolean } = {}) {
    const { body, signature } = signEvent(event, options.secret ?? STRIPE_WEBHOOK_SECRET, options.timestamp);
    return stack.call('POST', '/v1/webhooks/stripe', undefined, {
      token: null,
      rawBody: options.tamper ? body.replace('"amount_paid":', '"amount_paid":1') : body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    });
  }

  function planOrder(orderId: string, email: string) {
    return {
      orderId,
      customer: { email, firstName: 'Pat', lastName: 'Planner' },
      items: [{ sku: 'COURSE-3', name: 'Course in 3 payments', quantity: 1, unitAmount: 30_000 }],
      currency: 'USD',
      plan: { type: 'payment_plan', installments: 3, installmentAmount: 10_000, interval: 'month', intervalCount: 1 },
      payment: { id: `in_${orderId}_1`, amount: 10_000, paidAt: new Date().toISOString() },
    };
  }

  it('records a plan paid through signed webhooks delivered twice and out of order: one payment per installment', async () => {
    const orderId = uniqueId('plan');
    const email = `${orderId}@example.com`;
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, planOrder(orderId, email))).status, 202);
    let lifecycle = await waitForStatus(stack, accountId, orderId, 'AwaitingInstallment');
    const keapOrderId = lifecycle.keapOrderId;
    const partial = await keapGet(stack, `/orders/${keapOrderId}`);
    assert.equal(partial.status, 'DRAFT');
    assert.equal(partial.total_paid.amount, 10_000);
    assert.equal(partial.total_due.amount, 20_000);

    const routing = { accountId, orderId };
    const second = invoicePaid(routing, { invoiceId: `in_${orderId}_2`, amount: 10_000 });
    const third = invoicePaid(routing, { invoiceId: `in_${orderId}_3`, amount: 10_000 });
    // Out of order (the third first), and each redelivered.
    for (const event of [third, second, third, second]) {
      const res = await post(event);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.received, true);
    }
    lifecycle = await waitForStatus(stack, accountId, orderId, 'PaidInFull');
    assert.equal(lifecycle.installments.paid, 3);
    assert.deepEqual(
      lifecycle.payments.map((p: { id: string }) => p.id).sort(),
      [1, 2, 3].map((n) => `in_${orderId}_${n}`),
    );
    const paid = await keapGet(stack, `/orders/${keapOrderId}`);
    assert.equal(paid.status, 'PAID');
    assert.equal((await keapGet(stack, `/orders/${keapOrderId}/payments`)).invoice_order_payments.length, 3);
    assert.equal((await keapOrdersForEmail(stack, email)).length, 1);
    // The workflow has ended: a late redelivery is taken (a run for late events) and recorded nothing twice.
    const late = await post(second);
    assert.equal(late.status, 200);
    assert.equal(late.body.delivered, true);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await keapGet(stack, `/orders/${keapOrderId}/payments`)).invoice_order_payments.length, 3);
    assert.equal((await stack.call('GET', `/v1/accounts/${accountId}/orders/${orderId}`)).body.installments.paid, 3);
  });

  it('holds a payment that arrives before its order, then records it once the order comes', async () => {
    const orderId = uniqueId('sub');
    const email = `${orderId}@example.com`;
    const first = invoicePaid(
      { accountId, orderId },
      { invoiceId: `in_${orderId}_1`, amount: 2_900, billingReason: 'subscription_create' },
    );
    assert.equal((await post(first)).body.delivered, true);
    const waiting = await waitForStatus(stack, accountId, orderId, 'AwaitingOrder');
    assert.equal(waiting.payments.length, 0);
    assert.equal((await keapOrdersForEmail(stack, email)).length, 0);

    const order = {
      orderId,
      customer: { email },
      items: [{ sku: 'BOX', name: 'Monthly box', quantity: 1, unitAmount: 2_900 }],
      currency: 'USD',
      plan: { type: 'subscription', amount: 2_900, interval: 'month', intervalCount: 1 },
      payment: { id: `in_${orderId}_1`, amount: 2_900, paidAt: new Date().toISOString() },
    };
    const res = await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    assert.equal(res.status, 202);
    assert.equal(res.body.duplicate, false);
    const active = await waitForStatus(stack, accountId, orderId, 'Active');
    assert.equal(active.payments.length, 1);
    assert.deepEqual(active.ignoredPayments, []);
    const orders = await keapOrdersForEmail(stack, email);
    assert.equal(orders.length, 1);
    assert.equal(orders[0].status, 'PAID');

    // A failed renewal shows (status and tag); a renewal paid later clears it; cancellation ends it.
    const routing = { accountId, orderId };
    await post(invoicePaymentFailed(routing, { invoiceId: `in_${orderId}_2`, amount: 2_900 }));
    const failed = await waitForStatus(stack, accountId, orderId, 'PaymentFailed');
    const tags = async () =>
      (await keapGet(stack, `/contacts/${failed.keapContactId}/tags`)).tags.map((t: any) => t.tag.name);
    // The status shows first; the tag follows in the next activity.
    await waitFor('the payment-failed tag', async () =>
      (await tags()).includes('Sales Sync: payment failed') ? true : undefined,
    );
    await post(invoicePaid(routing, { invoiceId: `in_${orderId}_2`, amount: 2_900 }));
    await waitFor('the renewal', async () => {
      const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/${orderId}`);
      return res.body.cycles === 2 && res.body.status === 'Active' ? res.body : undefined;
    });
    assert.deepEqual(await tags(), []);
    assert.equal((await keapOrdersForEmail(stack, email)).length, 2);
    await post(subscriptionDeleted(routing));
    await waitForStatus(stack, accountId, orderId, 'Cancelled');
  });

  it('answers 400 for a bad, tampered or stale signature, and writes nothing', async () => {
    const orderId = uniqueId('x');
    const event = invoicePaid({ accountId, orderId }, { invoiceId: `in_${orderId}`, amount: 100 });
    const wrongSecret = await post(event, { secret: 'whsec_wrong' });
    assert.equal(wrongSecret.status, 400);
    assert.equal(wrongSecret.body.error.code, 'invalid_signature');
    assert.equal((await post(event, { tamper: true })).status, 400);
    assert.equal((await post(event, { timestamp: Math.floor(Date.now() / 1000) - 301 })).status, 400);
    const unsigned = await stack.call('POST', '/v1/webhooks/stripe', event, { token: null });
    assert.equal(unsigned.status, 400);
    assert.equal((await stack.call('GET', `/v1/accounts/${accountId}/orders/${orderId}`)).status, 404);
  });

  it('acknowledges events it cannot route (no metadata, unknown account, other types) without retries', async () => {
    const noMetadata = invoicePaid({ accountId, orderId: 'ord' }, { invoiceId: 'in_nometa', amount: 100 });
    noMetadata.data.object.parent.subscription_details.metadata = {};
    const res = await post(noMetadata);
    assert.equal(res.status, 200);
    assert.match(res.body.ignored, /metadata/);
    const unknownAccount = await post(
      invoicePaid({ accountId: 'nobody', orderId: 'ord' }, { invoiceId: 'in_x', amount: 100 }),
    );
    assert.equal(unknownAccount.status, 200);
    assert.match(unknownAccount.body.ignored, /account nobody does not exist/);
    const other = await post({ ...subscriptionDeleted({ accountId, orderId: 'ord' }), type: 'customer.created' });
    assert.equal(other.status, 200);
    assert.ok(other.body.ignored);
  });

  it('takes installment payments through the API too, deduplicated with the webhooks', async () => {
    const orderId = uniqueId('plan');
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, planOrder(orderId, `${orderId}@example.com`));
    await waitForStatus(stack, accountId, orderId, 'AwaitingInstallment');
    const payment = { id: `in_${orderId}_2`, amount: 10_000, paidAt: new Date().toISOString() };
    const viaApi = await stack.call('POST', `/v1/accounts/${accountId}/orders/${orderId}/payments`, payment);
    assert.equal(viaApi.status, 202);
    await post(invoicePaid({ accountId, orderId }, { invoiceId: payment.id, amount: 10_000 }));
    const lifecycle = await waitFor('the second installment', async () => {
      const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/${orderId}`);
      return res.body.installments?.paid === 2 ? res.body : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    const after = await stack.call('GET', `/v1/accounts/${accountId}/orders/${orderId}`);
    assert.equal(after.body.installments.paid, 2);
    assert.equal((await keapGet(stack, `/orders/${lifecycle.keapOrderId}/payments`)).invoice_order_payments.length, 2);
    const cancel = await stack.call('POST', `/v1/accounts/${accountId}/orders/${orderId}/cancel`, {
      reason: 'customer asked',
    });
    assert.equal(cancel.status, 202);
    const cancelled = await waitForStatus(stack, accountId, orderId, 'Cancelled');
    assert.equal(cancelled.balance, 10_000);
    // An installment charged after the cancellation is money received: recorded, not refused.
    const late = await stack.call('POST', `/v1/accounts/${accountId}/orders/${orderId}/payments`, {
      ...payment,
      id: `in_${orderId}_late`,
    });
    assert.equal(late.status, 202, JSON.stringify(late.body));
    const repeat = await stack.call('POST', `/v1/accounts/${accountId}/orders/${orderId}/payments`, payment);
    assert.equal(repeat.status, 202);
    const recorded = await waitFor('the late installment', async () => {
      const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/${orderId}`);
      return res.body.payments?.length === 3 ? res.body : undefined;
    });
    assert.equal(recorded.status, 'Cancelled');
    assert.equal(recorded.balance, 0);
    const payments = (await keapGet(stack, `/orders/${lifecycle.keapOrderId}/payments`)).invoice_order_payments;
    assert.equal(payments.length, 3, 'the late installment once, the repeat not again');
  });
});
