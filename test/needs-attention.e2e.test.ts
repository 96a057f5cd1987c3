/**
 * Needs attention, not hot loops (issue 5, item 4): for each Keap rejection that no retry can fix,
 * Keap (the sandbox) really refuses the write, the order stops in NeedsAttention with Keap's reason
 * (status search attribute and lifecycle), Keap sees no further attempts, an operator fixes the cause
 * the way a merchant would in Keap and resumes through the API, and nothing is lost or written twice.
 * A transient 5xx/429, by contrast, is retried without ever parking the order.
 */
import { strict as assert } from 'node:assert';
import type { SandboxExchange } from '../keap-sandbox';
import { SA_STATUS } from '../workflows/support/search-attributes';
import { getStack } from './support/stack';
import type { Stack } from './support/stack';
import {
  recordKeapExchanges,
  createAccount,
  keapGet,
  keapOrdersForEmail,
  oneTimeOrder,
  SANDBOX_KEY,
  uniqueId,
  waitFor,
  waitForStatus,
} from './support/fixtures';

/** How long a parked order is watched for further Keap calls: longer than the first retry (1 s). */
const QUIET_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes to the sandbox through its own Keap REST API, as a merchant (or the Keap UI) would. */
async function keapPost(stack: Stack, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${stack.sandbox.url}/rest/v2${path}`, {
    method: 'POST',
    headers: { 'X-Keap-API-Key': SANDBOX_KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`Keap POST ${path} → ${res.status} ${await res.text()}`);
  return res.json();
}

function body(exchange: SandboxExchange): any {
  return exchange.requestBody ?? {};
}

describe('NeedsAttention: Keap rejections park the order until an operator resumes it', function () {
  this.timeout(60_000);
  let stack: Stack;
  /** Every Keap exchange this file caused, to count calls per cause (other suites may share the sandbox). */
  const exchanges = recordKeapExchanges();
  let defaultPaymentTypes: string[];

  const calls = (operationId: string, match: (ex: SandboxExchange) => boolean) =>
    exchanges.filter((ex) => ex.operationId === operationId && match(ex));
  const paymentCalls = (paymentId: string) =>
    calls('createPaymentForAnOrder', (ex) => body(ex).external_source_value === paymentId);
  const orderCalls = (orderId: string) =>
    calls('createOrder', (ex) => body(ex).order_title === `Checkout order ${orderId}`);

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    defaultPaymentTypes = stack.sandbox.manualPaymentTypes.list();
  });

  afterEach(() => {
    stack.sandbox.faults.clear();
    stack.sandbox.manualPaymentTypes.set(defaultPaymentTypes);
  });

  /** Waits for NeedsAttention and checks both operator windows: the lifecycle and the search attribute. */
  async function parked(accountId: string, orderId: string, step: string, reason: RegExp) {
    const lifecycle = await waitForStatus(stack, accountId, orderId, 'NeedsAttention');
    assert.equal(lifecycle.attention?.step, step);
    assert.match(lifecycle.attention.error, reason);
    const described = await stack.client.workflow.getHandle(`order:${accountId}:${orderId}`).describe();
    assert.equal(described.typedSearchAttributes.get(SA_STATUS), 'NeedsAttention');
    return lifecycle;
  }

  /** Counts `count()` now and again after QUIET_MS: a parked order must not keep calling Keap. */
  async function assertNoRetries(count: () => number, expected: number, what: string) {
    assert.equal(count(), expected, `${what} before the quiet period`);
    await sleep(QUIET_MS);
    assert.equal(count(), expected, `${what} after ${QUIET_MS} ms parked`);
  }

  async function resume(accountId: string, orderId: string) {
    const res = await stack.call('POST', `/v1/accounts/${accountId}/orders/${orderId}/resume`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
  }

  it('payment type not configured in Keap: parks with Keap’s reason, resumes to PAID once the merchant adds it', async () => {
    // The merchant named a Manual Payment Type in Sales Sync that their Keap app does not have (yet).
    const paymentType = uniqueId('Checkout Platform');
    const accountId = await createAccount(stack, uniqueId('acct-pt'), { paymentMethodType: paymentType });
    const order = oneTimeOrder({ sku: uniqueId('SKU') });
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, order)).status, 202);

    const lifecycle = await parked(
      accountId,
      order.orderId,
      'recordKeapPayment',
      new RegExp(`createPaymentForAnOrder failed with 400: Unrecognized payment_method_type '${paymentType}'`),
    );
    assert.ok(lifecycle.keapOrderId, 'the Keap order exists before its payment');
    assert.deepEqual(lifecycle.payments, []);
    await assertNoRetries(() => paymentCalls(order.payment.id).length, 1, 'createPaymentForAnOrder calls');
    assert.equal(paymentCalls(order.payment.id)[0]?.status, 400);
    // Operators find it the way the README says: by status in the Temporal UI.
    await waitFor('the order in visibility as NeedsAttention', async () => {
      for await (const wf of stack.client.workflow.list({
        query: `SalesSyncAccountId = "${accountId}" AND SalesSyncStatus = "NeedsAttention"`,
      })) {
        return wf.workflowId === `order:${accountId}:${order.orderId}` ? wf : undefined;
      }
      return undefined;
    });
    const keapOrders = await keapOrdersForEmail(stack, order.customer.email);
    assert.equal(keapOrders.length, 1);
    assert.equal(keapOrders[0].status, 'DRAFT');
    assert.equal((await keapGet(stack, `/orders/${lifecycle.keapOrderId}/payments`)).invoice_order_payments.length, 0);

    // The fix is in Keap: the merchant adds the type under Ecommerce Settings > Orders.
    stack.sandbox.manualPaymentTypes.set([...defaultPaymentTypes, paymentType]);
    await resume(accountId, order.orderId);
    const paid = await waitForStatus(stack, accountId, order.orderId, 'Paid');
    assert.equal(paid.attention, undefined);
    assert.equal(paid.payments.length, 1);
    assert.equal(paid.keapOrderId, lifecycle.keapOrderId);
    assert.deepEqual(
      paymentCalls(order.payment.id).map((ex) => ex.status),
      [400, 201],
    );
    assert.equal(orderCalls(order.orderId).length, 1);
    const after = await keapOrdersForEmail(stack, order.customer.email);
    assert.equal(after.length, 1);
    assert.equal(after[0].status, 'PAID');
    const payments = (await keapGet(stack, `/orders/${paid.keapOrderId}/payments`)).invoice_order_payments;
    assert.equal(payments.length, 1);
    assert.equal(payments[0].amount, 49);
  });

  it('product rejected by Keap: parks at ensureProducts, resumes onto the product the merchant made, one product', async () => {
    // The sandbox accepts every product our schema allows, so Keap's 400 is injected (with Keap's Error body).
    const accountId = await createAccount(stack, uniqueId('acct-prod'));
    const sku = uniqueId('REJECTED');
    const order = {
      ...oneTimeOrder(),
      items: [{ sku, name: 'Limited print', quantity: 1, unitAmount: 4900 }],
    };
    stack.sandbox.faults.inject({ operation: 'createProduct', mode: 'error-5xx', status: 400, count: 1 });
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, order)).status, 202);

    const lifecycle = await parked(
      accountId,
      order.orderId,
      'ensureProducts',
      /createProduct failed with 400: Bad Request \(injected by the Keap sandbox\)/,
    );
    const productCalls = () => calls('createProduct', (ex) => body(ex).sku === sku);
    await assertNoRetries(() => productCalls().length, 1, 'createProduct calls');
    assert.equal(productCalls()[0]?.status, 400);
    assert.equal(lifecycle.keapOrderId, undefined, 'no Keap order before its products');
    assert.equal(orderCalls(order.orderId).length, 0);

    // The merchant creates the product in Keap by hand; the resumed order must use it, not make another.
    const made = await keapPost(stack, '/products', {
      name: 'Limited print',
      sku,
      price: 4900,
      short_description: 'Limited print',
    });
    await resume(accountId, order.orderId);
    const paid = await waitForStatus(stack, accountId, order.orderId, 'Paid');
    assert.equal(productCalls().length, 2, 'ours (rejected) and the merchant’s; none after the resume');
    const products = (await keapGet(stack, `/products?filter=${encodeURIComponent(`sku==${sku}`)}`)).products;
    assert.deepEqual(
      products.map((p: any) => p.id),
      [made.id],
    );
    const keapOrder = await keapGet(stack, `/orders/${paid.keapOrderId}`);
    assert.equal(keapOrder.status, 'PAID');
    assert.equal(keapOrder.order_items[0].product.id, made.id);
    assert.equal((await keapOrdersForEmail(stack, order.customer.email)).length, 1);
    assert.equal((await keapGet(stack, `/orders/${paid.keapOrderId}/payments`)).invoice_order_payments.length, 1);
  });

  it('contact rejected by Keap (email too long for EMAIL1): parks at syncContact, resumes onto the contact the merchant made', async () => {
    // Valid for us (RFC 5321 allows 254), but Keap's EMAIL1 takes at most 75 characters (EMAIL2/3: 100).
    const email = `${'a'.repeat(50)}.${uniqueId('buyer')}@long-mail.example.com`.toLowerCase();
    assert.ok(email.length > 75 && email.length <= 100, `${email.length} characters`);
    const accountId = await createAccount(stack, uniqueId('acct-contact'));
    const order = oneTimeOrder({ email, sku: uniqueId('SKU') });
    const res = await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    assert.equal(res.status, 202, JSON.stringify(res.body));

    await parked(
      accountId,
      order.orderId,
      'syncContact',
      /createContact failed with 400: EMAIL1 allows at most 75 characters/,
    );
    const contactCalls = () =>
      calls('createContact', (ex) => body(ex).email_addresses?.some((e: any) => e.email === email) === true);
    await assertNoRetries(() => contactCalls().length, 1, 'createContact calls');
    assert.equal(contactCalls()[0]?.status, 400);

    // The merchant creates the contact in Keap with the address as Email 2, which allows 100 characters.
    const made = await keapPost(stack, '/contacts', {
      given_name: 'Ada',
      family_name: 'Lovelace',
      email_addresses: [{ email, field: 'EMAIL2' }],
    });
    await resume(accountId, order.orderId);
    const paid = await waitForStatus(stack, accountId, order.orderId, 'Paid');
    assert.equal(paid.keapContactId, made.id);
    assert.equal(contactCalls().length, 2, 'ours (rejected) and the merchant’s; none after the resume');
    const contacts = (await keapGet(stack, `/contacts?filter=${encodeURIComponent(`email==${email}`)}`)).contacts;
    assert.equal(contacts.length, 1);
    const orders = await keapOrdersForEmail(stack, email);
    assert.equal(orders.length, 1);
    assert.equal(orders[0].status, 'PAID');
    assert.equal((await keapGet(stack, `/orders/${orders[0].id}/payments`)).invoice_order_payments.length, 1);
  });

  it('a plan installment Keap rejects parks on that installment; resumed, it is recorded once and earlier ones are not repeated', async () => {
    const paymentType = uniqueId('Checkout Platform');
    stack.sandbox.manualPaymentTypes.set([...defaultPaymentTypes, paymentType]);
    const accountId = await createAccount(stack, uniqueId('acct-plan'), { paymentMethodType: paymentType });
    const orderId = uniqueId('plan');
    const paidAt = new Date().toISOString();
    const plan = {
      orderId,
      customer: { email: `${orderId}@example.com`, firstName: 'Pat' },
      items: [{ sku: uniqueId('COURSE'), name: 'Course', quantity: 1, unitAmount: 30000 }],
      currency: 'USD',
      plan: { type: 'payment_plan', installments: 3, installmentAmount: 10000, interval: 'month', intervalCount: 1 },
      payment: { id: `in_${orderId}_1`, amount: 10000, paidAt },
    };
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, plan)).status, 202);
    const first = await waitForStatus(stack, accountId, orderId, 'AwaitingInstallment');
    assert.equal(first.installments.paid, 1);
    const keapOrderId: string = first.keapOrderId;

    // The merchant removes the payment type from Keap; the second installment arrives meanwhile.
    stack.sandbox.manualPaymentTypes.set(defaultPaymentTypes);
    const second = { id: `in_${orderId}_2`, amount: 10000, paidAt };
    const paymentsUrl = `/v1/accounts/${accountId}/orders/${orderId}/payments`;
    assert.equal((await stack.call('POST', paymentsUrl, second)).status, 202);
    const lifecycle = await parked(
      accountId,
      orderId,
      'recordKeapPayment',
      new RegExp(`Unrecognized payment_method_type '${paymentType}'`),
    );
    assert.equal(lifecycle.installments.paid, 1);
    assert.equal(lifecycle.payments.length, 1);
    await assertNoRetries(() => paymentCalls(second.id).length, 1, 'createPaymentForAnOrder calls for installment 2');
    // Stripe redelivers the same invoice while it is parked: still one payment in the end.
    assert.equal((await stack.call('POST', paymentsUrl, second)).status, 202);

    stack.sandbox.manualPaymentTypes.set([...defaultPaymentTypes, paymentType]);
    await resume(accountId, orderId);
    const resumed = await waitFor('installment 2 to be recorded', async () => {
      const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/${orderId}`);
      return res.body?.status === 'AwaitingInstallment' && res.body.installments.paid === 2 ? res.body : undefined;
    });
    assert.equal(resumed.totalPaid, 20000);
    assert.deepEqual(
      paymentCalls(second.id).map((ex) => ex.status),
      [400, 201],
    );
    assert.equal(paymentCalls(plan.payment.id).length, 1, 'installment 1 is not written again');

    const third = { id: `in_${orderId}_3`, amount: 10000, paidAt };
    assert.equal((await stack.call('POST', paymentsUrl, third)).status, 202);
    const done = await waitForStatus(stack, accountId, orderId, 'PaidInFull');
    assert.deepEqual(
      done.payments.map((p: any) => p.id),
      [plan.payment.id, second.id, third.id],
    );
    const keapPayments = (await keapGet(stack, `/orders/${keapOrderId}/payments`)).invoice_order_payments;
    assert.equal(keapPayments.length, 3);
    for (const id of [plan.payment.id, second.id, third.id]) {
      assert.equal(keapPayments.filter((p: any) => p.note?.includes(id)).length, 1, `one Keap payment for ${id}`);
    }
    assert.equal((await keapGet(stack, `/orders/${keapOrderId}`)).status, 'PAID');
    assert.equal((await keapOrdersForEmail(stack, plan.customer.email)).length, 1);
  });

  it('contrast: Keap 503s and a 429 are retried without ever parking the order', async () => {
    const accountId = await createAccount(stack, uniqueId('acct-transient'));
    const order = oneTimeOrder({ sku: uniqueId('SKU') });
    stack.sandbox.faults.inject({ operation: 'createContact', mode: 'throttle-429', count: 1 });
    stack.sandbox.faults.inject({ operation: 'createPaymentForAnOrder', mode: 'error-5xx', status: 503, count: 2 });
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, order)).status, 202);

    const seen = new Set<string>();
    const paid = await waitFor(
      'the order to be Paid',
      async () => {
        const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/${order.orderId}`);
        if (typeof res.body?.status === 'string') seen.add(res.body.status);
        return res.body?.status === 'Paid' ? res.body : undefined;
      },
      30_000,
    );
    assert.ok(!seen.has('NeedsAttention'), `statuses seen: ${[...seen].join(', ')}`);
    assert.equal(paid.attention, undefined);
    const contactCalls = calls('createContact', (ex) =>
      body(ex).email_addresses?.some((e: any) => e.email === order.customer.email),
    );
    assert.deepEqual(
      contactCalls.map((ex) => ex.status),
      [429, 201],
    );
    assert.deepEqual(
      paymentCalls(order.payment.id).map((ex) => ex.status),
      [503, 503, 201],
    );
    const orders = await keapOrdersForEmail(stack, order.customer.email);
    assert.equal(orders.length, 1);
    assert.equal(orders[0].status, 'PAID');
    assert.equal((await keapGet(stack, `/orders/${orders[0].id}/payments`)).invoice_order_payments.length, 1);
  });
});
