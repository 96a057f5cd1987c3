/**
 * Values that reach a Keap filter (issue 11, item 8). Keap's filter syntax gives ";" and "*" a meaning,
 * so a past-due tag named "Past due; call them", or a payment id with ";" (a renewal's Keap order is
 * keyed by it), can never be looked up exactly. Such values are refused where they enter (a 400, or
 * for a Stripe webhook a logged, acknowledged refusal), and one that got in anyway (an account saved
 * before this rule) parks its order in NeedsAttention with the reason instead of retrying for ever
 * while later payments queue behind it.
 */
import { strict as assert } from 'node:assert';
import { invoicePaid, invoicePaymentFailed, signEvent } from '../scripts/stripe-events';
import { SA_STATUS } from '../workflows/support/search-attributes';
import { getStack, STRIPE_WEBHOOK_SECRET } from './support/stack';
import type { Stack } from './support/stack';
import { createAccount, oneTimeOrder, uniqueId, waitForStatus } from './support/fixtures';

const UNFILTERABLE_TAG = 'Past due; call them';

describe('values that reach a Keap filter', function () {
  this.timeout(60_000);
  let stack: Stack;

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
  });

  async function postWebhook(event: object) {
    const { body, signature } = signEvent(event, STRIPE_WEBHOOK_SECRET);
    return stack.call('POST', '/v1/webhooks/stripe', undefined, {
      token: null,
      rawBody: body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    });
  }

  function planOrder(orderId: string) {
    return {
      orderId,
      customer: { email: `${orderId}@example.com`, firstName: 'Pat', lastName: 'Planner' },
      items: [{ sku: 'COURSE-3', name: 'Course in 3 payments', quantity: 1, unitAmount: 30_000 }],
      currency: 'USD',
      plan: { type: 'payment_plan', installments: 3, installmentAmount: 10_000, interval: 'month', intervalCount: 1 },
      payment: { id: `in_${orderId}_1`, amount: 10_000, paidAt: new Date().toISOString() },
    };
  }

  function refusedAt(res: { status: number; body: any }, path: string) {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'validation_failed');
    const detail = (res.body.error.details ?? []).find((d: any) => d.path === path);
    assert.ok(detail, `a detail for ${path}: ${JSON.stringify(res.body.error)}`);
    assert.match(detail.message, /must not contain ";", "\*"/);
  }

  describe('are refused at the edge', () => {
    it('an account’s past-due tag with ";" or "*": 400 on PUT and PATCH', async () => {
      const accountId = uniqueId('acct-tag');
      const put = await stack.call('PUT', `/v1/accounts/${accountId}`, {
        keap: { apiKey: 'sandbox-api-key' },
        salesSyncEnabled: true,
        paymentMethodType: 'Stripe',
        pastDueTag: UNFILTERABLE_TAG,
      });
      refusedAt(put, 'pastDueTag');
      await createAccount(stack, accountId);
      refusedAt(await stack.call('PATCH', `/v1/accounts/${accountId}`, { pastDueTag: 'Past due *' }), 'pastDueTag');
      const fine = await stack.call('PATCH', `/v1/accounts/${accountId}`, { pastDueTag: 'Past due: call them' });
      assert.equal(fine.status, 200, JSON.stringify(fine.body));
    });

    it('an order’s or a later payment’s id with ";" or "*": 400', async () => {
      const accountId = await createAccount(stack, uniqueId('acct-pid'));
      const order = oneTimeOrder();
      const bad = { ...order, payment: { ...order.payment, id: 'pi_1;pi_2' } };
      refusedAt(await stack.call('POST', `/v1/accounts/${accountId}/orders`, bad), 'payment.id');

      const plan = planOrder(uniqueId('plan'));
      assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, plan)).status, 202);
      const payment = { id: 'in_*', amount: 10_000, paidAt: new Date().toISOString() };
      refusedAt(await stack.call('POST', `/v1/accounts/${accountId}/orders/${plan.orderId}/payments`, payment), 'id');
    });

    it('a Stripe invoice whose id has ";": acknowledged and ignored with the reason, never delivered', async () => {
      const accountId = await createAccount(stack, uniqueId('acct-wh'));
      const plan = planOrder(uniqueId('plan'));
      assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, plan)).status, 202);
      await waitForStatus(stack, accountId, plan.orderId, 'AwaitingInstallment');
      const res = await postWebhook(
        invoicePaid({ accountId, orderId: plan.orderId }, { invoiceId: 'in_2;x', amount: 10_000 }),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(String(res.body.ignored), /must not contain ";", "\*"/);
      assert.equal(res.body.delivered, undefined);
      const lifecycle = (await stack.call('GET', `/v1/accounts/${accountId}/orders/${plan.orderId}`)).body;
      assert.equal(lifecycle.installments.paid, 1);
      assert.deepEqual(lifecycle.ignoredPayments, []);
    });
  });

  it('a past-due tag saved before the rule parks the order in NeedsAttention with the reason, not a retry loop', async () => {
    const accountId = await createAccount(stack, uniqueId('acct-old-tag'));
    // As an account stored before the edge refused such names.
    await stack.accounts.update(accountId, (account) => ({ ...account, pastDueTag: UNFILTERABLE_TAG }));
    const plan = planOrder(uniqueId('plan'));
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, plan)).status, 202);
    await waitForStatus(stack, accountId, plan.orderId, 'AwaitingInstallment');

    const failed = await postWebhook(
      invoicePaymentFailed({ accountId, orderId: plan.orderId }, { invoiceId: `in_${plan.orderId}_2`, amount: 10_000 }),
    );
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    // The tag step runs in the overdue path: it must stop there, visibly, within a few seconds.
    const lifecycle = await waitForStatus(stack, accountId, plan.orderId, 'NeedsAttention', 15_000);
    assert.equal(lifecycle.attention?.step, 'tagContact');
    assert.match(lifecycle.attention.error, /Past due; call them/);
    assert.match(lifecycle.attention.error, /";" or "\*"/);
    const described = await stack.client.workflow.getHandle(`order:${accountId}:${plan.orderId}`).describe();
    assert.equal(described.typedSearchAttributes.get(SA_STATUS), 'NeedsAttention');
  });
});
