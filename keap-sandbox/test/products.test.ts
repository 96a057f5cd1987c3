/**
 * The Keap sandbox's products: minor-unit prices, lookups by sku and name, required fields, PATCH.
 */
import { strict as assert } from 'node:assert';
import { assertKeapError, f, type Listing, type ProductBody, useSandbox } from './support';

describe('Keap sandbox', function () {
  this.timeout(10_000);
  const { call, product } = useSandbox();

  describe('products', () => {
    it('creates a product with a minor-unit price and finds it by sku and name', async () => {
      const res = await call<ProductBody>('POST', '/rest/v2/products', {
        name: 'Course',
        sku: 'COURSE-1',
        price: 1250,
        short_description: 'A course',
      });
      assert.equal(res.status, 201);
      assert.deepEqual(res.body.price, { amount: 1250, currency_code: 'USD', formatted_amount: '$12.50' });
      assert.equal(res.body.active, true);
      const bySku = await call<Listing>('GET', `/rest/v2/products?${f('sku==course-1')}`);
      assert.deepEqual(
        bySku.body.products.map((p: { id: string }) => p.id),
        [res.body.id],
      );
      assert.equal((await call<Listing>('GET', `/rest/v2/products?${f('name==Cour*')}`)).body.products.length, 1);
      assert.equal((await call<ProductBody>('GET', `/rest/v2/products/${res.body.id}`)).body.sku, 'COURSE-1');
    });

    it('rejects a product without its required fields', async () => {
      assertKeapError(await call('POST', '/rest/v2/products', { name: 'X', price: 100 }), 400, /short_description/);
      assertKeapError(await call('POST', '/rest/v2/products', { name: 'X', short_description: 's' }), 400, /price/);
      assertKeapError(
        await call<ProductBody>('POST', '/rest/v2/products', { name: 'X', price: 12.5, short_description: 's' }),
        400,
        /price/,
      );
    });

    it('PATCH with update_mask changes only the masked fields', async () => {
      const id = await product('SKU-P', 1000);
      const res = await call<ProductBody>('PATCH', `/rest/v2/products/${id}?update_mask=price`, {
        price: 0,
        name: 'Ignored',
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.price.amount, 0);
      assert.equal(res.body.name, 'Product SKU-P');
    });

    it('takes update_mask in the spec’s exploded form and rejects a comma-joined one, as a strict Keap does', async () => {
      const id = await product('SKU-M', 1000);
      const exploded = await call<ProductBody>(
        'PATCH',
        `/rest/v2/products/${id}?update_mask=price&update_mask=short_description`,
        { price: 1500, short_description: 'Now with a mask', name: 'Ignored' },
      );
      assert.equal(exploded.status, 200, JSON.stringify(exploded.body));
      assert.equal(exploded.body.price.amount, 1500);
      assert.equal(exploded.body.name, 'Product SKU-M');

      const joined = await call('PATCH', `/rest/v2/products/${id}?update_mask=price,short_description`, {
        price: 1700,
        short_description: 'Comma-joined',
      });
      assertKeapError(joined, 400, /update_mask/);
      assert.equal((await call<ProductBody>('GET', `/rest/v2/products/${id}`)).body.price.amount, 1500);
    });
  });
});
