/**
 * Orders follow the products their checkouts synced: a line that names its checkout uses that
 * checkout's Keap product (its SKU), and an order for a checkout whose product is not synced yet
 * waits for that sync instead of creating a second product.
 */
import { strict as assert } from 'node:assert';
import { getStack } from './support/stack';
import type { Stack } from './support/stack';
import { createAccount, keapGet, keapOrdersForEmail, uniqueId, waitFor, waitForStatus } from './support/fixtures';

describe('orders for published checkouts', function () {
  this.timeout(90_000);
  let stack: Stack;
  let accountId: string;

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    accountId = await createAccount(stack);
  });

  afterEach(() => {
    stack.sandbox.faults.clear();
    stack.sandbox.setLatency(0, 'createProduct');
  });

  const publish = (checkoutId: string) =>
    stack.call('PUT', `/v1/accounts/${accountId}/checkouts/${checkoutId}`, {
      name: 'Masterclass',
      currency: 'USD',
      pricing: { type: 'one_time', amount: 2_500 },
      active: true,
    });

  const order = (checkoutId: string, extra: Record<string, unknown> = {}) => {
    const orderId = uniqueId('ord');
    return {
      orderId,
      customer: { email: `${orderId}@example.com` },
      items: [{ checkoutId, name: 'Masterclass', quantity: 1, unitAmount: 2_500, ...extra }],
      currency: 'USD',
      plan: { type: 'one_time' },
      payment: { id: `pi_${orderId}`, amount: 2_500, paidAt: new Date().toISOString() },
    };
  };

  async function productsWithSku(sku: string): Promise<any[]> {
    return (await keapGet(stack, `/products?filter=${encodeURIComponent(`sku==${sku}`)}`)).products ?? [];
  }

  it("writes the line with the checkout's synced product, found by the checkout's SKU", async () => {
    const checkoutId = uniqueId('chk');
    const published = await publish(checkoutId);
    assert.equal(published.status, 202);
    const synced = await waitFor('the checkout sync', async () => {
      const res = await stack.call('GET', `/v1/accounts/${accountId}/checkouts/${checkoutId}`);
      return res.body.status === 'Synced' ? res.body : undefined;
    });
    const body = order(checkoutId);
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, body)).status, 202);
    const lifecycle = await waitForStatus(stack, accountId, body.orderId, 'Paid');
    const keapOrder = await keapGet(stack, `/orders/${lifecycle.keapOrderId}`);
    assert.equal(keapOrder.order_items[0].product.id, synced.keapProductId);
    assert.equal(keapOrder.order_items[0].product.sku, synced.sku);
    assert.equal((await productsWithSku(published.body.sku)).length, 1);
  });

  it('waits for a checkout whose product is still syncing, then uses it: still one product', async () => {
    const checkoutId = uniqueId('chk');
    // Keap is slow to create the checkout's product: the order arrives before it exists.
    stack.sandbox.setLatency(1_500, 'createProduct');
    const published = await publish(checkoutId);
    const body = order(checkoutId);
    assert.equal((await stack.call('POST', `/v1/accounts/${accountId}/orders`, body)).status, 202);
    const lifecycle = await waitForStatus(stack, accountId, body.orderId, 'Paid', 30_000);
    const products = await productsWithSku(published.body.sku);
    assert.equal(products.length, 1, 'the order did not create a second product');
    const keapOrder = await keapGet(stack, `/orders/${lifecycle.keapOrderId}`);
    assert.equal(keapOrder.order_items[0].product.id, products[0].id);
    assert.equal((await keapOrdersForEmail(stack, body.customer.email)).length, 1);
  });

  it('answers 422 for a checkout never published, or a SKU that is not the checkout’s', async () => {
    const unknown = await stack.call('POST', `/v1/accounts/${accountId}/orders`, order('never-published'));
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'unknown_checkout');
    const checkoutId = uniqueId('chk');
    await publish(checkoutId);
    const mismatch = await stack.call(
      'POST',
      `/v1/accounts/${accountId}/orders`,
      order(checkoutId, { sku: 'OTHER-SKU' }),
    );
    assert.equal(mismatch.status, 422);
    assert.equal(mismatch.body.error.code, 'sku_mismatch');
    const neither = order(checkoutId);
    const { checkoutId: _c, ...line } = neither.items[0]!;
    const bad = await stack.call('POST', `/v1/accounts/${accountId}/orders`, { ...neither, items: [line] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].path, 'items.0.sku');
  });
});
