/**
 * The Keap sandbox's orders and payments: order custom fields, totals in minor units, lookups, validation,
 * payments and paid status, deletion, rounding and paging.
 */
import { strict as assert } from 'node:assert';
import { assertKeapError, f, type Listing, type OrderBody, useSandbox } from './support';

describe('Keap sandbox', function () {
  this.timeout(10_000);
  const { call, contact, product, orderKeyField, order } = useSandbox();

  describe('orders and payments', () => {
    it('derives custom field names like Keap and lists them in the order model', async () => {
      const first = await orderKeyField();
      assert.equal(first.field_name, '_SalesSyncOrderKey0');
      const second = await orderKeyField();
      assert.equal(second.field_name, '_SalesSyncOrderKey1');
      const model = await call<{ custom_fields: { field_name: string; record_type: string }[] }>(
        'GET',
        '/rest/v2/orders/model',
      );
      assert.deepEqual(
        model.body.custom_fields.map((c: { field_name: string }) => c.field_name),
        ['_SalesSyncOrderKey0', '_SalesSyncOrderKey1'],
      );
      assert.equal(model.body.custom_fields[0]?.record_type, 'ORDER');
    });

    it('creates an order with totals in minor units and finds it by custom field, contact and product', async () => {
      const [contactId, productId, field] = await Promise.all([contact(), product(), orderKeyField()]);
      const res = await order(contactId, productId, 2, 19.99, {
        custom_fields: [{ id: field.id, content: 'acct:o-1' }],
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.status, 'DRAFT');
      assert.deepEqual(res.body.total, { amount: 3998, currency_code: 'USD', formatted_amount: '$39.98' });
      assert.equal(res.body.total_paid.amount, 0);
      assert.equal(res.body.total_due.amount, 3998);
      assert.equal(res.body.order_items[0]?.price_per_unit.amount, 1999);
      assert.equal(res.body.contact.email, 'ada@example.com');
      assert.deepEqual(res.body.custom_fields, [{ id: field.id, content: 'acct:o-1' }]);

      const byKey = await call<Listing>('GET', `/rest/v2/orders?${f('_SalesSyncOrderKey0==acct:o-1')}`);
      assert.deepEqual(
        byKey.body.orders.map((o: { id: string }) => o.id),
        [res.body.id],
      );
      assert.equal(
        (await call<Listing>('GET', `/rest/v2/orders?${f('_salessyncorderkey0==ACCT:O-1')}`)).body.orders.length,
        1,
      );
      assert.equal(
        (await call<Listing>('GET', `/rest/v2/orders?${f('_SalesSyncOrderKey0==acct:o-2')}`)).body.orders.length,
        0,
      );
      const combined = `contact_id==${contactId};product_id==${productId};paid==false`;
      assert.equal((await call<Listing>('GET', `/rest/v2/orders?${f(combined)}`)).body.orders.length, 1);
      assert.equal((await call<Listing>('GET', `/rest/v2/orders?${f('paid==true')}`)).body.orders.length, 0);
    });

    it('rejects invalid orders with 400 and commits nothing', async () => {
      const [contactId, productId] = await Promise.all([contact(), product()]);
      assertKeapError(await order(contactId, '999'), 400, /Product with id 999 not found/);
      assertKeapError(await order('999', productId), 400, /Contact with id 999 not found/);
      assertKeapError(
        await order(contactId, productId, 1, 1, { custom_fields: [{ id: '77', content: 'x' }] }),
        400,
        /Custom field with id 77/,
      );
      const missing = await call<OrderBody>('POST', '/rest/v2/orders', {
        contact_id: contactId,
        order_time: '2026-01-02T03:04:05Z',
        order_type: 'ONLINE',
      });
      assertKeapError(missing, 400, /order_title is required/);
      assertKeapError(await order(contactId, productId, 0), 400, /quantity/);
      assert.equal((await call<Listing>('GET', '/rest/v2/orders')).body.orders.length, 0);
    });

    it('records payments: partial -> DRAFT, final -> PAID; rejects overpayment and non-positive amounts', async () => {
      const [contactId, productId] = await Promise.all([contact(), product()]);
      const created = await order(contactId, productId, 2, 19.99);
      const id = created.body.id;
      const pay = (amount: number, notes?: string) =>
        call<{ payment_amount: number }>('POST', `/rest/v2/orders/${id}/payments`, {
          payment_amount: amount,
          apply_to_commissions: false,
          payment_method_type: 'Credit Card (Manual)',
          notes,
          external_source_value: `pi_${amount}`,
        });

      const first = await pay(10, 'installment 1');
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.payment_amount, 10);
      let o = (await call<OrderBody>('GET', `/rest/v2/orders/${id}`)).body;
      assert.equal(o.status, 'DRAFT');
      assert.equal(o.total_paid.amount, 1000);
      assert.equal(o.total_due.amount, 2998);

      assertKeapError(await pay(29.99), 400, /exceeds the order's remaining balance of \$29\.98/);
      assertKeapError(await pay(0), 400, /greater than 0/);
      assertKeapError(await pay(-5), 400, /greater than 0/);
      const noType = await call<{ payment_amount: number }>('POST', `/rest/v2/orders/${id}/payments`, {
        payment_amount: 1,
        apply_to_commissions: false,
      });
      assertKeapError(noType, 400, /payment_method_type/);
      const badType = await call<{ payment_amount: number }>('POST', `/rest/v2/orders/${id}/payments`, {
        payment_amount: 1,
        apply_to_commissions: false,
        payment_method_type: 'Bitcoin',
      });
      assertKeapError(badType, 400, /Unrecognized payment_method_type/);

      assert.equal((await pay(29.98, 'installment 2')).status, 201);
      o = (await call<OrderBody>('GET', `/rest/v2/orders/${id}`)).body;
      assert.equal(o.status, 'PAID');
      assert.equal(o.total_paid.amount, 3998);
      assert.equal(o.total_due.amount, 0);
      assertKeapError(await pay(0.01), 400, /exceeds/);

      const payments = (await call<Listing>('GET', `/rest/v2/orders/${id}/payments`)).body.invoice_order_payments;
      assert.deepEqual(
        payments.map((p) => [p.amount, p.note, p.pay_status]),
        [
          [10, 'installment 1', 'MANUAL_PAID'],
          [29.98, 'installment 2', 'MANUAL_PAID'],
        ],
      );
      assert.equal(payments[0]?.invoice_id, o.invoice_id);
      assert.equal((await call<Listing>('GET', `/rest/v2/orders?${f('paid==true')}`)).body.orders.length, 1);
      assertKeapError(await call('DELETE', `/rest/v2/orders/${id}`), 400, /payments/);
    });

    it('deletes an order without payments', async () => {
      const [contactId, productId] = await Promise.all([contact(), product()]);
      const id = (await order(contactId, productId)).body.id;
      const res = await call('DELETE', `/rest/v2/orders/${id}`);
      assert.equal(res.status, 204);
      assert.equal(res.body, undefined);
      assertKeapError(await call('GET', `/rest/v2/orders/${id}`), 404);
    });

    it('treats a zero-total order as PAID and rounds major-unit doubles exactly', async () => {
      const [contactId, productId] = await Promise.all([contact(), product('FREE', 0)]);
      const free = await order(contactId, productId, 1, 0);
      assert.equal(free.body.status, 'PAID');
      // 0.1 + 0.2 style inputs: 3 × 0.29 must be 87 cents, not 86.99999.
      const odd = await order(contactId, productId, 3, 0.29);
      assert.equal(odd.body.total.amount, 87);
      const paid = await call<{ payment_amount: number }>('POST', `/rest/v2/orders/${odd.body.id}/payments`, {
        payment_amount: 0.87,
        apply_to_commissions: true,
        payment_method_type: 'Cash',
      });
      assert.equal(paid.status, 201);
      assert.equal((await call<OrderBody>('GET', `/rest/v2/orders/${odd.body.id}`)).body.status, 'PAID');
    });

    it('pages with page_size and page_token', async () => {
      const contactId = await contact();
      const productId = await product();
      for (let i = 0; i < 5; i++) assert.equal((await order(contactId, productId)).status, 201);
      const seen: string[] = [];
      let token = '';
      for (let pages = 0; pages < 10; pages++) {
        const res = await call<Listing>('GET', `/rest/v2/orders?page_size=2${token ? `&page_token=${token}` : ''}`);
        seen.push(...res.body.orders.map((o: { id: string }) => o.id));
        token = res.body.next_page_token;
        if (!token) break;
      }
      assert.deepEqual(seen, ['1', '2', '3', '4', '5']);
      assertKeapError(await call('GET', '/rest/v2/orders?page_token=bogus'), 400, /page_token/);
      assertKeapError(await call('GET', '/rest/v2/orders?page_size=5000'), 400, /page_size/);
    });
  });
});
