/**
 * The order's currency against the Keap app's (issue 11, item 7). A Keap app keeps its books in one
 * currency and reads every amount Sales Sync writes in it, so an order in another one is written at
 * figures nobody charged (a JPY plan on a USD app showed PAID in Keap while its lifecycle waited for
 * "1 of 3 paid" for ever, and would have tagged a paying customer past due). The mismatch is found from
 * what Keap already answers (every CurrencyValue carries `currency_code`), before the Keap order is
 * written, and the order parks in NeedsAttention saying why. An account that declares its currency
 * refuses such an order at the edge.
 */
import { strict as assert } from 'node:assert';
import { startKeapSandbox } from '../keap-sandbox';
import type { KeapSandbox } from '../keap-sandbox';
import { SA_STATUS } from '../workflows/support/search-attributes';
import { getStack } from './support/stack';
import type { Stack } from './support/stack';
import {
  createAccount,
  keapOrdersForEmail,
  oneTimeOrder,
  recordKeapExchanges,
  uniqueId,
  waitForStatus,
} from './support/fixtures';

describe('order currency against the Keap app’s currency', function () {
  this.timeout(60_000);
  let stack: Stack;
  /** A second Keap app that keeps its books in yen. */
  let yenApp: KeapSandbox;
  const exchanges = recordKeapExchanges();

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    yenApp = await startKeapSandbox({ port: 0, currency: 'JPY' });
  });

  after(async () => {
    await yenApp?.close();
  });

  function yenPlan(orderId: string) {
    return {
      orderId,
      customer: { email: `${orderId}@example.com`, firstName: 'Kenji', lastName: 'Sato' },
      items: [{ sku: uniqueId('COURSE'), name: 'Course in 3 payments', quantity: 1, unitAmount: 30_000 }],
      currency: 'JPY',
      plan: { type: 'payment_plan', installments: 3, installmentAmount: 10_000, interval: 'month', intervalCount: 1 },
      payment: { id: `in_${orderId}_1`, amount: 10_000, paidAt: new Date().toISOString() },
    };
  }

  it('a JPY plan on a USD Keap app parks in NeedsAttention with the reason, before any Keap order is written', async () => {
    const accountId = await createAccount(stack, uniqueId('acct-usd'));
    // The app's currency is already known from an earlier sale (the happy path: nothing to look up).
    const earlier = oneTimeOrder({ sku: uniqueId('SKU') });
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, earlier)).status, 202);
    await waitForStatus(stack, accountId, earlier.orderId, 'Paid');

    const plan = yenPlan(uniqueId('plan-jpy'));
    const from = exchanges.length;
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, plan)).status, 202);
    const lifecycle = await waitForStatus(stack, accountId, plan.orderId, 'NeedsAttention');
    assert.match(lifecycle.attention.error, /the order is in JPY but this Keap app keeps its books in USD/);
    assert.equal(lifecycle.keapOrderId, undefined);
    assert.deepEqual(lifecycle.payments, []);
    const described = await stack.client.workflow.getHandle(`order:${accountId}:${plan.orderId}`).describe();
    assert.equal(described.typedSearchAttributes.get(SA_STATUS), 'NeedsAttention');
    // Nothing of it reached Keap: no order, no payment, not even the contact.
    assert.deepEqual(await keapOrdersForEmail(stack, plan.customer.email), []);
    const writes = exchanges.slice(from).filter((ex) => ex.method !== 'GET');
    assert.deepEqual(
      writes.map((ex) => ex.operationId),
      [],
    );
  });

  it('finds the mismatch on an app whose currency it has not seen yet, from the product it reads anyway', async () => {
    const accountId = await createAccount(stack, uniqueId('acct-usd-new'));
    const order = { ...oneTimeOrder({ sku: uniqueId('SKU') }), currency: 'JPY' };
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, order)).status, 202);
    const lifecycle = await waitForStatus(stack, accountId, order.orderId, 'NeedsAttention');
    assert.match(lifecycle.attention.error, /the order is in JPY but this Keap app keeps its books in USD/);
    assert.deepEqual(await keapOrdersForEmail(stack, order.customer.email), []);
  });

  it('a JPY plan on a JPY Keap app is written as usual: the Keap order in yen, partly paid', async () => {
    const accountId = await createAccount(stack, uniqueId('acct-jpy'), {
      keap: { apiKey: yenApp.apiKey },
      keapBaseUrl: yenApp.url,
    });
    const plan = yenPlan(uniqueId('plan-jpy'));
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, plan)).status, 202);
    const lifecycle = await waitForStatus(stack, accountId, plan.orderId, 'AwaitingInstallment');
    assert.equal(lifecycle.installments.paid, 1);
    const res = await fetch(`${yenApp.url}/rest/v2/orders/${lifecycle.keapOrderId}`, {
      headers: { 'X-Keap-API-Key': yenApp.apiKey },
    });
    const keapOrder = (await res.json()) as any;
    assert.equal(keapOrder.total.currency_code, 'JPY');
    assert.equal(keapOrder.total.amount, 30_000);
    assert.equal(keapOrder.total_paid.amount, 10_000);
  });

  it('an account that declares its currency refuses an order in another at the edge (422)', async () => {
    const accountId = await createAccount(stack, uniqueId('acct-declared'), { currency: 'USD' });
    const plan = yenPlan(uniqueId('plan-jpy'));
    const res = await stack.call('POST', `/v1/accounts/${accountId}/orders`, plan);
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'currency_mismatch');
    assert.match(res.body.error.message, /JPY/);
    assert.match(res.body.error.message, /USD/);
    const usd = oneTimeOrder({ sku: uniqueId('SKU') });
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, usd)).status, 202);
    await waitForStatus(stack, accountId, usd.orderId, 'Paid');
    assert.equal((await stack.call('GET', `/v1/accounts/${accountId}`)).body.currency, 'USD');
  });
});
