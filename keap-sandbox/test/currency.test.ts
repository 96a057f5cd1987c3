/**
 * The Keap sandbox in another currency: amounts use the currency's own decimals.
 */
import { strict as assert } from 'node:assert';
import { startKeapSandbox } from '../index';
import { client, type ContactBody, type OrderBody, type ProductBody } from './support';

describe('Keap sandbox currency', () => {
  it('uses the currency’s own decimals (JPY has none)', async () => {
    const sandbox = await startKeapSandbox({ currency: 'JPY' });
    const call = client(() => sandbox);
    try {
      const c = await call<ContactBody>('POST', '/rest/v2/contacts', {
        email_addresses: [{ email: 'jp@example.com' }],
      });
      const p = await call<ProductBody>('POST', '/rest/v2/products', {
        name: 'P',
        price: 1500,
        short_description: 's',
      });
      assert.deepEqual(p.body.price, { amount: 1500, currency_code: 'JPY', formatted_amount: '¥1,500' });
      const o = await call<OrderBody>('POST', '/rest/v2/orders', {
        contact_id: c.body.id,
        order_time: '2026-01-02T03:04:05Z',
        order_title: 'JP',
        order_type: 'ONLINE',
        order_items: [{ product_id: p.body.id, quantity: 2, price_per_unit: 1500 }],
      });
      assert.equal(o.body.total.amount, 3000);
    } finally {
      await sandbox.close();
    }
  });

  it('counts HUF in hundredths, as Stripe does, though Intl shows it without decimals', async () => {
    const sandbox = await startKeapSandbox({ currency: 'HUF' });
    const call = client(() => sandbox);
    try {
      const c = await call<ContactBody>('POST', '/rest/v2/contacts', {
        email_addresses: [{ email: 'hu@example.com' }],
      });
      // 10,000.00 Ft: 1000000 minor units for the product price, 10000 (major) for the item and the payment.
      const p = await call<ProductBody>('POST', '/rest/v2/products', {
        name: 'P',
        price: 1_000_000,
        short_description: 's',
      });
      assert.deepEqual(p.body.price, { amount: 1_000_000, currency_code: 'HUF', formatted_amount: 'HUF\u00a010,000' });
      const o = await call<OrderBody>('POST', '/rest/v2/orders', {
        contact_id: c.body.id,
        order_time: '2026-01-02T03:04:05Z',
        order_title: 'HU',
        order_type: 'ONLINE',
        order_items: [{ product_id: p.body.id, quantity: 1, price_per_unit: 10000 }],
      });
      assert.equal(o.body.total.amount, 1_000_000);
      const paid = await call<{ payment_amount: number }>('POST', `/rest/v2/orders/${o.body.id}/payments`, {
        payment_amount: 10000,
        apply_to_commissions: false,
        payment_method_type: 'Stripe',
      });
      assert.equal(paid.status, 201, JSON.stringify(paid.body));
      assert.equal(paid.body.payment_amount, 10000);
      const order = await call<OrderBody>('GET', `/rest/v2/orders/${o.body.id}`);
      assert.equal(order.body.status, 'PAID');
      assert.equal(order.body.total_paid.amount, 1_000_000);
    } finally {
      await sandbox.close();
    }
  });
});
