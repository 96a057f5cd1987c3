/**
 * Behaviour of the Keap sandbox (keap-sandbox/): auth, the emulated resources and their money semantics,
 * rate limiting with Keap's headers, fault injection and the admin API.
 */
import { strict as assert } from 'node:assert';
import { KeapClient } from '../keap/client';
import { KeapApiError } from '../keap/errors';
import {
  FAULT_MODES,
  type FaultMode,
  type KeapSandbox,
  type SandboxExchange,
  parseRateLimitSpec,
  startKeapSandbox,
} from '../keap-sandbox';
import { ChaosProfile, chaosFromFlags, mulberry32 } from '../keap-sandbox/chaos';
import { Table } from '../keap-sandbox/store/table';

const KEY = 'sandbox-api-key';

// The response shapes the assertions read (the conformance test checks them against the spec in full).
interface Money {
  amount: number;
  currency_code: string;
  formatted_amount: string;
}
interface ErrorBody {
  code: number;
  message: string;
  status: string;
  details?: { domain?: string }[];
}
interface ContactBody {
  id: string;
  given_name?: string;
  family_name?: string;
  email_addresses: { email: string; field: string }[];
  phone_numbers: { number: string; field: string }[];
  tag_ids: string[];
}
interface ProductBody {
  id: string;
  name: string;
  sku?: string;
  price: Money;
  active: boolean;
}
interface OrderBody {
  id: string;
  status: string;
  invoice_id: string;
  total: Money;
  total_paid: Money;
  total_due: Money;
  order_items: { price_per_unit: Money }[];
  contact: { email?: string };
  custom_fields: { id: string; content: unknown }[];
}
interface PaymentBody {
  amount: number;
  note?: string;
  pay_status: string;
  invoice_id: string;
}
interface TagBody {
  id: string;
  name: string;
}
interface Listing {
  next_page_token: string;
  contacts: ContactBody[];
  products: ProductBody[];
  orders: OrderBody[];
  tags: TagBody[];
  notes: { text?: string }[];
  invoice_order_payments: PaymentBody[];
}

interface Reply<T> {
  status: number;
  body: T;
  headers: Headers;
}

function client(sandbox: () => KeapSandbox) {
  return async function call<T = ErrorBody>(
    method: string,
    path: string,
    body?: unknown,
    opts: { key?: string | null; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key !== null) headers['X-Keap-API-Key'] = opts.key ?? KEY;
    if (body !== undefined || opts.raw !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${sandbox().url}${path}`, {
      method,
      headers,
      body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T, headers: res.headers };
  };
}

const f = (filter: string): string => `filter=${encodeURIComponent(filter)}`;

function assertKeapError(reply: Reply<unknown>, status: number, message?: RegExp): void {
  const body = reply.body as ErrorBody;
  assert.equal(reply.status, status, JSON.stringify(body));
  assert.equal(body.code, status);
  assert.equal(typeof body.message, 'string');
  assert.equal(typeof body.status, 'string');
  if (message) assert.match(body.message, message);
}

describe('Keap sandbox', function () {
  this.timeout(10_000);
  let sandbox: KeapSandbox;
  const call = client(() => sandbox);

  before(async () => {
    sandbox = await startKeapSandbox({ port: 0, accessTokens: ['oauth-token'] });
  });
  after(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  async function contact(email = 'ada@example.com'): Promise<string> {
    const res = await call<ContactBody>('POST', '/rest/v2/contacts', {
      given_name: 'Ada',
      family_name: 'Lovelace',
      email_addresses: [{ email, field: 'EMAIL1' }],
    });
    assert.equal(res.status, 201);
    return res.body.id;
  }

  async function product(sku = 'SKU-1', price = 1999): Promise<string> {
    const res = await call<ProductBody>('POST', '/rest/v2/products', {
      name: `Product ${sku}`,
      sku,
      price,
      short_description: 'x',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  }

  async function orderKeyField(): Promise<{ id: string; field_name: string }> {
    const res = await call<{ id: string; field_name: string }>('POST', '/rest/v2/orders/model/customFields', {
      label: 'Sales Sync Order Key',
      field_type: 'TEXT',
    });
    assert.equal(res.status, 201);
    return res.body;
  }

  async function order(contactId: string, productId: string, quantity = 2, price = 19.99, extra: object = {}) {
    return call<OrderBody>('POST', '/rest/v2/orders', {
      contact_id: contactId,
      order_time: '2026-01-02T03:04:05Z',
      order_title: 'Checkout order',
      order_type: 'ONLINE',
      order_items: [{ product_id: productId, quantity, price_per_unit: price }],
      ...extra,
    });
  }

  describe('auth and errors', () => {
    it('answers 401 with a Keap Error body without a valid key', async () => {
      assertKeapError(await call('GET', '/rest/v2/contacts', undefined, { key: null }), 401);
      assertKeapError(await call('GET', '/rest/v2/contacts', undefined, { key: 'wrong' }), 401);
    });

    it('accepts a configured OAuth bearer token', async () => {
      const res = await call<Listing>('GET', '/rest/v2/tags', undefined, {
        key: null,
        headers: { Authorization: 'Bearer oauth-token' },
      });
      assert.equal(res.status, 200);
    });

    it('answers 404 for unknown routes, 405 for wrong methods and 400 for malformed JSON', async () => {
      assertKeapError(await call('GET', '/rest/v2/nothing-here'), 404);
      assertKeapError(await call('GET', '/../not-crm', undefined), 404);
      const wrongMethod = await call('PUT', '/rest/v2/contacts');
      assertKeapError(wrongMethod, 405);
      assert.match(wrongMethod.headers.get('allow') ?? '', /GET/);
      assertKeapError(
        await call<ContactBody>('POST', '/rest/v2/contacts', undefined, { raw: '{"given_name":' }),
        400,
        /Malformed JSON/,
      );
      assertKeapError(await call('GET', '/rest/v2/orders/999'), 404);
    });
  });

  describe('contacts', () => {
    it('creates a contact, finds it by email (case-insensitively) and by ids', async () => {
      const id = await contact('Grace@Example.com');
      assert.match(id, /^\d+$/);
      const found = await call<Listing>('GET', `/rest/v2/contacts?${f('email==grace@example.com')}`);
      assert.equal(found.status, 200);
      assert.deepEqual(
        found.body.contacts.map((c: { id: string }) => c.id),
        [id],
      );
      assert.equal(found.body.contacts[0]?.email_addresses[0]?.email, 'Grace@Example.com');
      const none = await call<Listing>('GET', `/rest/v2/contacts?${f('email==nobody@example.com')}`);
      assert.deepEqual(none.body.contacts, []);
      const byIds = await call<Listing>('GET', `/rest/v2/contacts?${f(`ids==${id},999`)}`);
      assert.equal(byIds.body.contacts.length, 1);
      assertKeapError(await call('GET', `/rest/v2/contacts?${f('shoe_size==42')}`), 400, /Invalid filter field/);
    });

    it('requires an email, phone or address, and a valid email', async () => {
      assertKeapError(await call('POST', '/rest/v2/contacts', { given_name: 'Nobody' }), 400, /at least one/);
      assertKeapError(
        await call<ContactBody>('POST', '/rest/v2/contacts', { email_addresses: [{ email: 'not-an-email' }] }),
        400,
        /Invalid email/,
      );
    });

    it('PATCH changes only the fields in update_mask, replacing arrays wholesale', async () => {
      const id = await contact();
      const res = await call<ContactBody>(
        'PATCH',
        `/rest/v2/contacts/${id}?update_mask=given_name&update_mask=phone_numbers`,
        {
          given_name: 'Augusta',
          family_name: 'IGNORED',
          phone_numbers: [{ number: '+1 555 0100', field: 'PHONE1' }],
        },
      );
      assert.equal(res.status, 200);
      assert.equal(res.body.given_name, 'Augusta');
      assert.equal(res.body.family_name, 'Lovelace');
      assert.deepEqual(res.body.phone_numbers, [{ number: '+1 555 0100', field: 'PHONE1' }]);

      const replaced = await call<ContactBody>('PATCH', `/rest/v2/contacts/${id}?update_mask=email_addresses`, {
        email_addresses: [{ email: 'new@example.com', field: 'EMAIL2' }],
      });
      assert.deepEqual(
        replaced.body.email_addresses.map((e: { email: string; field: string }) => [e.email, e.field]),
        [['new@example.com', 'EMAIL2']],
      );
      assert.equal(
        (await call<Listing>('GET', `/rest/v2/contacts?${f('email==ada@example.com')}`)).body.contacts.length,
        0,
      );
      assert.equal(
        (await call<Listing>('GET', `/rest/v2/contacts?${f('email==new@example.com')}`)).body.contacts.length,
        1,
      );

      // Without a mask, exactly the fields present change.
      const plain = await call<ContactBody>('PATCH', `/rest/v2/contacts/${id}`, { family_name: 'King' });
      assert.equal(plain.body.given_name, 'Augusta');
      assert.equal(plain.body.family_name, 'King');
      assertKeapError(await call('PATCH', `/rest/v2/contacts/${id}?update_mask=shoe_size`, {}), 400, /update_mask/);
    });

    it('upserts with duplicate_option=Email (200, same id, unsent fields removed)', async () => {
      const id = await contact();
      const res = await call<ContactBody>('POST', '/rest/v2/contacts?duplicate_option=Email', {
        given_name: 'Ada',
        email_addresses: [{ email: 'ADA@example.com' }],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.id, id);
      assert.equal(res.body.family_name, undefined);
    });
  });

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

  describe('tags and notes', () => {
    it('creates, finds and applies tags', async () => {
      const contactId = await contact();
      const tag = await call<TagBody>('POST', '/rest/v2/tags', { name: 'Refunded', description: 'Order refunded' });
      assert.equal(tag.status, 201);
      assertKeapError(await call('POST', '/rest/v2/tags', { name: 'refunded' }), 409);
      assert.equal((await call<Listing>('GET', `/rest/v2/tags?${f('name==Refunded')}`)).body.tags.length, 1);
      const applied = await call<{ results: Record<string, string> }>(
        'POST',
        `/rest/v2/tags/${tag.body.id}/contacts:applyTags`,
        {
          contact_ids: [contactId, '999'],
        },
      );
      assert.equal(applied.status, 200);
      assert.deepEqual(applied.body.results, { [contactId]: 'SUCCESS', '999': 'NOT_FOUND' });
      const again = await call<{ results: Record<string, string> }>(
        'POST',
        `/rest/v2/tags/${tag.body.id}/contacts:applyTags`,
        {
          contact_ids: [contactId],
        },
      );
      assert.deepEqual(again.body.results, { [contactId]: 'DUPLICATE' });
      const forContact = await call<{ tags: { tag: TagBody; applied_time: string }[] }>(
        'GET',
        `/rest/v2/contacts/${contactId}/tags`,
      );
      assert.equal(forContact.body.tags[0]?.tag.name, 'Refunded');
      assert.equal(typeof forContact.body.tags[0]?.applied_time, 'string');
      assert.deepEqual((await call<ContactBody>('GET', `/rest/v2/contacts/${contactId}`)).body.tag_ids, [tag.body.id]);
    });

    it('creates and lists notes', async () => {
      const contactId = await contact();
      const note = await call<{ contact_id: string }>('POST', `/rest/v2/contacts/${contactId}/notes`, {
        user_id: '1',
        title: 'Refund',
        text: 'Refunded $19.99 (Stripe re_123)',
        type: 'Other',
      });
      assert.equal(note.status, 201);
      assert.equal(note.body.contact_id, contactId);
      assertKeapError(
        await call<{ contact_id: string }>('POST', `/rest/v2/contacts/${contactId}/notes`, { user_id: '1' }),
        400,
        /title or type/,
      );
      assertKeapError(await call('POST', `/rest/v2/contacts/${contactId}/notes`, { title: 'x' }), 400, /user_id/);
      const notes = await call<Listing>('GET', `/rest/v2/contacts/${contactId}/notes?${f('title==Ref*')}`);
      assert.deepEqual(
        notes.body.notes.map((n) => n.text),
        ['Refunded $19.99 (Stripe re_123)'],
      );
    });
  });

  describe('faults', () => {
    it('commit-then-lose performs the write, then drops the connection', async () => {
      const [contactId, productId, field] = await Promise.all([contact(), product(), orderKeyField()]);
      sandbox.faults.inject({ operation: 'createOrder', mode: 'commit-then-lose' });
      await assert.rejects(order(contactId, productId, 1, 5, { custom_fields: [{ id: field.id, content: 'k-lost' }] }));
      const found = await call<Listing>('GET', `/rest/v2/orders?${f(`${field.field_name}==k-lost`)}`);
      assert.equal(found.body.orders.length, 1, 'the order was committed although the response was lost');
      const stats = sandbox.stats();
      assert.equal(stats.faultsInjected.createOrder, 1);
      assert.equal(stats.lostResponses, 1);
      // The rule was used up: the next call is normal.
      assert.equal((await order(contactId, productId)).status, 201);
    });

    it('error-5xx answers a Keap error and commits nothing', async () => {
      const [contactId, productId] = await Promise.all([contact(), product()]);
      sandbox.faults.inject({ operation: 'createOrder', mode: 'error-5xx', status: 503, count: 2 });
      assertKeapError(await order(contactId, productId), 503);
      assertKeapError(await order(contactId, productId), 503);
      assert.equal((await call<Listing>('GET', '/rest/v2/orders')).body.orders.length, 0);
      assert.equal((await order(contactId, productId)).status, 201);
    });

    it('throttle-429 answers 429 with rate headers and Retry-After and commits nothing', async () => {
      const contactId = await contact();
      sandbox.faults.inject({ operation: 'createTag', mode: 'throttle-429', retryAfterSeconds: 7 });
      const res = await call('POST', '/rest/v2/tags', { name: 'T' });
      assert.equal(res.status, 429);
      assert.equal(res.body.code, 429);
      assert.equal(res.headers.get('retry-after'), '7');
      assert.ok(res.headers.get('x-keap-product-throttle-available'));
      assert.equal((await call<Listing>('GET', '/rest/v2/tags')).body.tags.length, 0);
      assert.equal(sandbox.stats().throttled.injected, 1);
      assert.ok(contactId);
    });

    it('latency delays the chosen operation only', async () => {
      sandbox.faults.inject({ operation: 'listTags', mode: 'latency', delayMs: 150 });
      const t0 = Date.now();
      assert.equal((await call<Listing>('GET', '/rest/v2/tags')).status, 200);
      assert.ok(Date.now() - t0 >= 140, 'delayed');
      const t1 = Date.now();
      await call<Listing>('GET', '/rest/v2/tags');
      assert.ok(Date.now() - t1 < 140, 'only once');
    });

    it('connection-reset commits nothing, resets the TCP connection, and our client retries it as a network error', async () => {
      const [contactId, productId] = await Promise.all([contact(), product()]);
      const seen: SandboxExchange[] = [];
      const unsubscribe = sandbox.onExchange((ex) => seen.push(ex));
      sandbox.faults.inject({ operation: 'createOrder', mode: 'connection-reset' });
      const error = await order(contactId, productId).then(
        () => assert.fail('expected the connection to be reset'),
        (err: unknown) => err,
      );
      // A TCP RST, not a clean close: undici reports ECONNRESET as the cause.
      assert.equal((error as { cause?: { code?: string } }).cause?.code, 'ECONNRESET');
      assert.equal((await call<Listing>('GET', '/rest/v2/orders')).body.orders.length, 0, 'nothing committed');

      sandbox.faults.inject({ operation: 'createTag', mode: 'connection-reset' });
      const keap = new KeapClient({ baseUrl: sandbox.url, auth: { type: 'apiKey', apiKey: KEY } });
      const failure = await keap.createTag('Reset').then(
        () => assert.fail('expected a network error'),
        (err: unknown) => err,
      );
      assert.ok(failure instanceof KeapApiError);
      assert.equal(failure.kind, 'network');
      assert.equal(failure.retryable, true);
      assert.equal((await keap.createTag('Reset')).name, 'Reset', 'the retry succeeds: nothing was committed before');
      unsubscribe();

      const stats = sandbox.stats();
      assert.equal(stats.faultsByMode['connection-reset'], 2);
      assert.deepEqual(stats.faultsByOperation, {
        createOrder: { 'connection-reset': 1 },
        createTag: { 'connection-reset': 1 },
      });
      assert.equal(stats.lostResponses, 0);
      assert.deepEqual(
        seen.filter((ex) => ex.fault).map((ex) => [ex.operationId, ex.status, ex.fault, ex.faultSource]),
        [
          ['createOrder', 0, 'connection-reset', 'rule'],
          ['createTag', 0, 'connection-reset', 'rule'],
        ],
      );
    });

    it('rejects invalid fault specs', () => {
      assert.throws(() => sandbox.faults.inject({ operation: 'nope', mode: 'error-5xx' }), /operation/);
      assert.throws(() => sandbox.faults.inject({ operation: 'createOrder', mode: 'latency' }), /delayMs/);
    });
  });

  describe('admin API', () => {
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${sandbox.url.replace(/\/crm$/, '')}/__sandbox${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    it('injects, lists and clears faults over HTTP', async () => {
      const created = await admin('POST', '/faults', { operation: 'createContact', mode: 'error-5xx', count: 3 });
      assert.equal(created.status, 201);
      const rule = (await created.json()) as { id: number; remaining: number; status: number };
      assert.equal(rule.remaining, 3);
      assert.equal(rule.status, 500);
      const listed = (await (await admin('GET', '/faults')).json()) as { faults: unknown[] };
      assert.equal(listed.faults.length, 1);
      assertKeapError(await call('POST', '/rest/v2/contacts', { email_addresses: [{ email: 'x@y.io' }] }), 500);
      assert.equal((await admin('POST', '/faults', { operation: 'createContact', mode: 'boom' })).status, 400);
      assert.equal((await admin('DELETE', '/faults')).status, 204);
      assert.deepEqual(((await (await admin('GET', '/faults')).json()) as { faults: unknown[] }).faults, []);
      assert.equal(
        (await call<ContactBody>('POST', '/rest/v2/contacts', { email_addresses: [{ email: 'x@y.io' }] })).status,
        201,
      );
    });

    it('reports stats, sets latency and resets', async () => {
      await contact();
      await call<Listing>('GET', '/rest/v2/contacts');
      await call<Listing>('GET', '/rest/v2/contacts');
      const stats = (await (await admin('GET', '/stats')).json()) as {
        calls: Record<string, number>;
        responses: Record<string, number>;
      };
      assert.equal(stats.calls.listContacts, 2);
      assert.equal(stats.calls.createContact, 1);
      assert.equal(stats.responses['201'], 1);

      const latency = await admin('POST', '/latency', { latencyMs: 5, operation: 'getContact' });
      assert.deepEqual(await latency.json(), { latencyMs: 0, operations: { getContact: 5 } });
      const info = (await (await admin('GET', '/')).json()) as { operations: { operationId: string }[] };
      assert.ok(info.operations.some((o) => o.operationId === 'createPaymentForAnOrder'));

      assert.equal((await admin('POST', '/reset')).status, 204);
      assert.deepEqual((await call<Listing>('GET', '/rest/v2/contacts')).body.contacts, []);
      assert.equal(sandbox.stats().calls.createContact, undefined);
      assert.equal((await admin('GET', '/nope')).status, 404);
    });
  });

  describe('chaos', () => {
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${sandbox.url.replace(/\/crm$/, '')}/__sandbox${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const EVERY_MODE = {
      'error-5xx': 0.1,
      'throttle-429': 0.1,
      'connection-reset': 0.1,
      'commit-then-lose': 0.1,
      latency: 0.1,
    };

    /** 200 calls alternating a write and a read; returns the faults as seen by the sandbox, in order. */
    async function run(seed: number): Promise<{ faults: string[]; exchanges: SandboxExchange[] }> {
      sandbox.reset();
      sandbox.chaos.configure({ seed, rates: EVERY_MODE, latencyMs: { min: 0, max: 2 } });
      const exchanges: SandboxExchange[] = [];
      const unsubscribe = sandbox.onExchange((ex) => exchanges.push(ex));
      for (let i = 0; i < 100; i++) {
        await call('POST', '/rest/v2/tags', { name: `tag-${i}` }).catch(() => undefined);
        await call('GET', '/rest/v2/tags').catch(() => undefined);
      }
      unsubscribe();
      return { faults: exchanges.map((ex) => `${ex.operationId}:${ex.fault ?? '-'}`), exchanges };
    }

    it('gives the same faults for the same seed and request sequence, other faults for another seed', async () => {
      const first = await run(42);
      const stats = sandbox.stats();
      const status = sandbox.chaos.status();
      const again = await run(42);
      const other = await run(43);
      assert.equal(first.faults.length, 200);
      assert.deepEqual(again.faults, first.faults);
      assert.notDeepEqual(other.faults, first.faults);

      // Every mode fired; commit-then-lose only on writes (reads that draw it are served normally).
      const tally = (mode: FaultMode) => first.exchanges.filter((ex) => ex.fault === mode).length;
      for (const mode of FAULT_MODES) assert.ok(tally(mode) > 0, `${mode} fired`);
      assert.ok(first.exchanges.every((ex) => ex.fault !== 'commit-then-lose' || ex.method === 'POST'));
      assert.ok(status.counts.sparedReads > 0);
      assert.equal(status.counts.draws, 200);

      // The stats count exactly the faults the exchanges show, all from chaos.
      const injected = first.exchanges.filter((ex) => ex.fault).length;
      assert.equal(stats.faultsTotal, injected);
      assert.equal(status.counts.injected, injected);
      assert.deepEqual(stats.faultsBySource, { rule: 0, chaos: injected });
      for (const mode of FAULT_MODES) {
        assert.equal(stats.faultsByMode[mode], tally(mode), mode);
        assert.equal(status.counts.byMode[mode], tally(mode), mode);
      }
      assert.equal(stats.lostResponses, tally('commit-then-lose'));
      assert.equal(stats.throttled.injected, tally('throttle-429'));
      assert.equal(stats.calls.createTag, 100);
      assert.equal(stats.calls.listTags, 100);
      const sum = (r: Partial<Record<string, number>> = {}) =>
        Object.values(r).reduce((total: number, n) => total + (n ?? 0), 0);
      assert.equal(sum(stats.faultsByOperation.createTag) + sum(stats.faultsByOperation.listTags), injected);

      // Lost responses committed; resets, 5xx and 429 did not.
      const committed = first.exchanges.filter(
        (ex) => ex.method === 'POST' && (ex.status === 201 || ex.fault === 'commit-then-lose'),
      ).length;
      sandbox.chaos.clear();
      assert.equal((await call<Listing>('GET', '/rest/v2/tags?page_size=1000')).body.tags.length, committed);
    });

    it('answers chaos 429s like throttle-429: Keap quota headers, Retry-After, Keap body', async () => {
      sandbox.chaos.configure({ seed: 1, rates: { 'throttle-429': 1 }, retryAfterSeconds: 3 });
      const res = await call('GET', '/rest/v2/contacts');
      assert.equal(res.status, 429);
      assert.deepEqual(res.body, {
        code: 429,
        message: 'Quota Exceeded',
        status: 'Request Throttled',
        details: [{ domain: 'throttle' }],
      });
      assert.equal(res.headers.get('retry-after'), '3');
      assert.ok(res.headers.get('x-keap-product-throttle-available'));
      assert.ok(res.headers.get('x-keap-product-quota-limit'));
      assert.equal(sandbox.stats().throttled.injected, 1);
    });

    it('lets explicit rules win, covers only the chosen operations, and draws 5xx statuses from the list', async () => {
      sandbox.chaos.configure({ seed: 5, rates: { 'error-5xx': 1 }, operations: ['createTag'], statuses: [502] });
      sandbox.faults.inject({ operation: 'createTag', mode: 'error-5xx', status: 418 });
      assert.equal((await call('POST', '/rest/v2/tags', { name: 'a' })).status, 418);
      assertKeapError(await call('POST', '/rest/v2/tags', { name: 'a' }), 502);
      assert.equal((await call('GET', '/rest/v2/tags')).status, 200, 'listTags is not covered');
      const { counts } = sandbox.chaos.status();
      assert.equal(counts.draws, 2);
      assert.equal(counts.preempted, 1);
      assert.equal(counts.injected, 1);
      assert.deepEqual(sandbox.stats().faultsBySource, { rule: 1, chaos: 1 });
      assert.throws(() => sandbox.chaos.configure({ seed: 1, rates: { latency: 1.5 } }), /rates.latency/);
    });

    it('is configured, read and cleared over HTTP, with clear 400s for bad input', async () => {
      const bad: [unknown, RegExp][] = [
        [[1], /body must be a JSON object/],
        [{ rates: {} }, /seed must be an integer/],
        [{ seed: 1.5, rates: {} }, /seed must be an integer/],
        [{ seed: 1 }, /rates must be an object/],
        [{ seed: 1, rates: { 'error-5xx': 2 } }, /rates.error-5xx must be a probability/],
        [{ seed: 1, rates: { 'error-5xx': 0.6, latency: 0.6 } }, /sum to at most 1 \(they sum to 1.2\)/],
        [{ seed: 1, rates: { boom: 0.1 } }, /rates.boom is not a fault mode/],
        [{ seed: 1, rates: {}, operations: ['nope'] }, /operations .*unknown: "nope"/],
        [{ seed: 1, rates: {}, operations: [] }, /operations must be a non-empty array/],
        [{ seed: 1, rates: {}, latencyMs: { min: 5, max: 1 } }, /latencyMs.min/],
        [{ seed: 1, rates: {}, statuses: [404] }, /statuses/],
        [{ seed: 1, rates: {}, rate: 0.1 }, /unknown field 'rate'/],
      ];
      for (const [body, message] of bad) {
        const res = await admin('POST', '/chaos', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assertKeapError({ status: res.status, body: await res.json(), headers: res.headers }, 400, message);
      }
      assert.equal(((await admin('GET', '/chaos').then((r) => r.json())) as { enabled: boolean }).enabled, false);

      const created = await admin('POST', '/chaos', { seed: 9, rates: { 'error-5xx': 1 } });
      assert.equal(created.status, 200);
      const status = (await created.json()) as {
        enabled: boolean;
        config: { operations: string[]; statuses: number[] };
      };
      assert.equal(status.enabled, true);
      assert.ok(status.config.operations.includes('createPaymentForAnOrder'), 'every operation by default');
      assert.deepEqual(status.config.statuses, [500, 502, 503, 504]);
      assert.ok((await call('GET', '/rest/v2/contacts')).status >= 500);
      const read = (await (await admin('GET', '/chaos')).json()) as { counts: { draws: number; injected: number } };
      assert.deepEqual([read.counts.draws, read.counts.injected], [1, 1]);
      const stats = (await (await admin('GET', '/stats')).json()) as {
        faultsTotal: number;
        faultsByOperation: Record<string, Record<string, number>>;
      };
      assert.equal(stats.faultsTotal, 1);
      assert.deepEqual(stats.faultsByOperation, { listContacts: { 'error-5xx': 1 } });

      assert.equal((await admin('DELETE', '/chaos')).status, 204);
      assert.equal((await call('GET', '/rest/v2/contacts')).status, 200);
      await admin('POST', '/chaos', { seed: 9, rates: { 'error-5xx': 1 } });
      assert.equal((await admin('POST', '/reset')).status, 204);
      assert.equal(((await (await admin('GET', '/chaos')).json()) as { enabled: boolean }).enabled, false);
      assert.equal((await call('GET', '/rest/v2/contacts')).status, 200, 'reset turned chaos off');
    });
  });
});

describe('Keap sandbox chaos profile', () => {
  it('mulberry32 is deterministic and uniform enough', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(
      Array.from({ length: 1000 }, () => b()),
      xs,
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
    assert.notDeepEqual(Array.from({ length: 10 }, mulberry32(8)), xs.slice(0, 10));
  });

  it('honours the rates (roughly) and spares reads from commit-then-lose', () => {
    const chaos = new ChaosProfile();
    const rates = {
      'error-5xx': 0.1,
      'throttle-429': 0.05,
      'connection-reset': 0.05,
      'commit-then-lose': 0.1,
      latency: 0.2,
    };
    chaos.configure({ seed: 2024, rates, latencyMs: { min: 10, max: 20 } });
    const n = 2000;
    const writes: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const fault = chaos.draw('createOrder', true);
      if (fault?.mode === 'latency') assert.ok(fault.delayMs >= 10 && fault.delayMs <= 20, `delay ${fault.delayMs}`);
      if (fault) chaos.applied('createOrder', fault.mode);
      writes[fault?.mode ?? 'none'] = (writes[fault?.mode ?? 'none'] ?? 0) + 1;
    }
    for (const [mode, p] of Object.entries(rates)) {
      const share = (writes[mode] ?? 0) / n;
      assert.ok(Math.abs(share - p) < 0.03, `${mode}: ${share} for ${p}`);
    }
    assert.ok(Math.abs((writes.none ?? 0) / n - 0.5) < 0.04);
    for (let i = 0; i < n; i++) assert.notEqual(chaos.draw('getOrder', false)?.mode, 'commit-then-lose');
    const { counts } = chaos.status();
    assert.equal(counts.draws, 2 * n);
    assert.ok(counts.sparedReads > 0.07 * n && counts.sparedReads < 0.13 * n, `spared ${counts.sparedReads}`);
    assert.equal(chaos.draw('nope', true), undefined, 'uncovered operations do not draw');
    assert.equal(chaos.status().counts.draws, 2 * n);
  });

  it('reads the CLI flags', () => {
    assert.equal(chaosFromFlags({}), undefined);
    const even = chaosFromFlags({ seed: '3', rate: '0.1' });
    assert.equal(even?.seed, 3);
    for (const mode of FAULT_MODES) assert.ok(Math.abs((even?.rates[mode] ?? 0) - 0.02) < 1e-12);
    const some = chaosFromFlags({ seed: '3', rate: '0.1', rates: 'error-5xx=0.3, latency=0' });
    assert.equal(some?.rates['error-5xx'], 0.3);
    assert.equal(some?.rates.latency, 0);
    assert.throws(() => chaosFromFlags({ seed: '3', rates: 'boom=0.1' }), /boom/);
    assert.throws(() => chaosFromFlags({ seed: '-1', rate: '0.1' }), /seed/);
    assert.throws(() => chaosFromFlags({ rates: 'error-5xx=0.7,latency=0.7' }), /sum/);
  });
});

describe('Keap sandbox rate limits', function () {
  this.timeout(10_000);

  it('parses throttle specs and presets', () => {
    assert.deepEqual(parseRateLimitSpec('10/s'), { limit: 10, interval: 1, timeUnit: 'second' });
    assert.deepEqual(parseRateLimitSpec('240/min,30000/day,spike:10/s'), {
      limit: 240,
      interval: 1,
      timeUnit: 'minute',
      dailyQuota: 30000,
      spikeArrestPerSecond: 10,
    });
    assert.deepEqual(parseRateLimitSpec('api-key'), {
      limit: 240,
      timeUnit: 'minute',
      dailyQuota: 30000,
      spikeArrestPerSecond: 10,
    });
    assert.throws(() => parseRateLimitSpec('lots'), /Invalid rate limit/);
  });

  it('reports Keap headers on every response and answers 429 past the throttle', async () => {
    const sandbox = await startKeapSandbox({ throttle: '3/s' });
    const call = client(() => sandbox);
    try {
      const available: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await call<Listing>('GET', '/rest/v2/tags');
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-keap-product-throttle-limit'), '3');
        assert.equal(res.headers.get('x-keap-product-throttle-time-unit'), 'second');
        assert.equal(res.headers.get('x-keap-product-quota-time-unit'), 'day');
        assert.ok(Number(res.headers.get('x-keap-product-quota-expiry-time')) > Date.now());
        available.push(res.headers.get('x-keap-product-throttle-available') ?? '');
      }
      assert.deepEqual(available, ['2', '1', '0']);
      const limited = await call<TagBody>('POST', '/rest/v2/tags', { name: 'not written' });
      assert.equal(limited.status, 429);
      assert.deepEqual(limited.body, {
        code: 429,
        message: 'Quota Exceeded',
        status: 'Request Throttled',
        details: [{ domain: 'throttle' }],
      });
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.equal(limited.headers.get('x-keap-product-throttle-available'), '0');
      assert.equal(sandbox.stats().throttled.throttle, 1);
      assert.equal(sandbox.stats().calls.createTag, 1, 'throttled calls still count per operation');
      await new Promise((r) => setTimeout(r, 1050));
      assert.equal((await call<Listing>('GET', '/rest/v2/tags')).body.tags.length, 0, 'the 429 committed nothing');
    } finally {
      await sandbox.close();
    }
  });

  it('enforces a daily quota, reporting the seconds to midnight UTC', async () => {
    const sandbox = await startKeapSandbox({ throttle: { dailyQuota: 2 } });
    const call = client(() => sandbox);
    try {
      assert.equal((await call<Listing>('GET', '/rest/v2/tags')).headers.get('x-keap-product-quota-available'), '1');
      assert.equal((await call<Listing>('GET', '/rest/v2/tags')).status, 200);
      const limited = await call('GET', '/rest/v2/tags');
      assert.equal(limited.status, 429);
      assert.equal(limited.body.details?.[0]?.domain, 'quota');
      const retry = Number(limited.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 86_400);
      assert.equal(limited.headers.get('x-keap-product-throttle-limit'), '1000000000', 'unenforced limit');
    } finally {
      await sandbox.close();
    }
  });
});

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

describe('Keap sandbox table', () => {
  it('keeps indexes and cursor paging right at benchmark sizes', () => {
    const table = new Table<{ id: number; group: string }>();
    table.addIndex('group', (r) => [r.group]);
    const started = Date.now();
    for (let i = 0; i < 50_000; i++) table.insert({ id: table.nextId(), group: `g${i % 1000}` });
    assert.equal(table.lookup('group', 'g7').size, 50);
    const page = table.page({ candidates: [table.lookup('group', 'g7')], afterId: 0, limit: 10 });
    assert.deepEqual(
      page.rows.map((r) => r.id),
      [8, 1008, 2008, 3008, 4008, 5008, 6008, 7008, 8008, 9008],
    );
    assert.equal(page.more, true);
    const row = table.get(8);
    assert.ok(row);
    table.update(row, (r) => (r.group = 'moved'));
    assert.equal(table.lookup('group', 'g7').size, 49);
    assert.equal(table.lookup('group', 'moved').size, 1);
    table.delete(1008);
    const after = table.page({ afterId: 49_990, limit: 100 });
    assert.equal(after.rows.length, 10);
    assert.equal(after.more, false);
    assert.ok(Date.now() - started < 1500, 'fast');
  });
});
