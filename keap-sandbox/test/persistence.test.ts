/**
 * Keap sandbox durability (option `stateFile`): the whole data state survives a restart, read back through the
 * Keap API exactly as before, ids are never reused, saves happen after changes without a close, and a file the
 * sandbox cannot use fails the start instead of being discarded.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KeapSandbox, STATE_FORMAT_VERSION, startKeapSandbox } from '../index';

const KEY = 'sandbox-api-key';

interface Reply {
  status: number;
  text: string;
  body: any;
}

async function call(sandbox: KeapSandbox, method: string, path: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'X-Keap-API-Key': KEY, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text === '' ? undefined : JSON.parse(text) };
}

async function ok(sandbox: KeapSandbox, method: string, path: string, body?: unknown): Promise<any> {
  const res = await call(sandbox, method, path, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
}

const f = (filter: string): string => `filter=${encodeURIComponent(filter)}`;

async function waitFor(check: () => Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Keap sandbox persistence (stateFile)', function () {
  this.timeout(5_000);
  let dir: string;
  let file: string;
  const open: KeapSandbox[] = [];
  const start = async (options: Parameters<typeof startKeapSandbox>[0] = {}): Promise<KeapSandbox> => {
    const sandbox = await startKeapSandbox({ stateFile: file, ...options });
    open.push(sandbox);
    return sandbox;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keap-sandbox-state-'));
    file = join(dir, 'nested', 'keap-sandbox.json');
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  });

  /** Fills every resource; returns the ids whose reads are compared. */
  async function populate(s: KeapSandbox) {
    const ada = await ok(s, 'POST', '/rest/v2/contacts', {
      given_name: 'Ada',
      family_name: 'Lovelace',
      email_addresses: [{ email: 'Ada@Example.com', field: 'EMAIL1' }],
      phone_numbers: [{ number: '+1 555 0100', field: 'PHONE1' }],
      addresses: [{ field: 'BILLING', line1: '1 Analytical Way', locality: 'London', country_code: 'GBR' }],
      origin: { ip_address: '192.0.2.1' },
      utm_parameters: { keap_source_id: 'src-1', utm_source: 'newsletter' },
    });
    const grace = await ok(s, 'POST', '/rest/v2/contacts', {
      given_name: 'Grace',
      email_addresses: [{ email: 'grace@example.com' }],
    });
    await ok(s, 'PATCH', `/rest/v2/contacts/${grace.id}?update_mask=family_name`, { family_name: 'Hopper' });

    const book = await ok(s, 'POST', '/rest/v2/products', {
      name: 'Book',
      sku: 'BOOK-1',
      price: 1999,
      short_description: 'A book',
      inventory: { inventory_count: 3 },
    });
    const pen = await ok(s, 'POST', '/rest/v2/products', { name: 'Pen', price: 250, short_description: 'A pen' });
    await ok(s, 'PATCH', `/rest/v2/products/${pen.id}?update_mask=price`, { price: 300 });
    const plan = await ok(s, 'POST', `/rest/v2/products/${book.id}/subscriptions`, {
      cycle_type: 'MONTHLY',
      plan_price: 999,
    });
    await ok(s, 'POST', `/rest/v2/products/${book.id}/subscriptions`, { cycle_type: 'YEARLY', plan_price: 9999 });
    await ok(s, 'PATCH', `/rest/v2/products/${book.id}/subscriptions/${plan.id}?update_mask=active`, {
      cycle_type: 'MONTHLY',
      plan_price: 999,
      active: false,
    });

    const key = await ok(s, 'POST', '/rest/v2/orders/model/customFields', {
      label: 'Sales Sync Order Key',
      field_type: 'TEXT',
    });
    const channel = await ok(s, 'POST', '/rest/v2/orders/model/customFields', {
      label: 'Channel',
      field_type: 'DROPDOWN',
      options: [{ label: 'Web' }, { label: 'Shop' }],
    });

    const order = (contactId: string, orderKey: string, extra: object = {}) =>
      ok(s, 'POST', '/rest/v2/orders', {
        contact_id: contactId,
        order_time: '2026-01-02T03:04:05Z',
        order_title: `Order ${orderKey}`,
        order_type: 'ONLINE',
        order_items: [
          { product_id: book.id, quantity: 2, price_per_unit: 19.99 },
          { product_id: pen.id, quantity: 1 },
        ],
        custom_fields: [{ id: key.id, content: orderKey }],
        ...extra,
      });
    const paid = await order(ada.id, 'cs_paid', {
      shipping_address: { line1: '1 Analytical Way', locality: 'London', country_code: 'GBR', first_name: 'Ada' },
    });
    const partial = await order(grace.id, 'cs_partial', {
      custom_fields: [
        { id: key.id, content: 'cs_partial' },
        { id: channel.id, content: channel.options[1].id },
      ],
    });
    const deleted = await order(grace.id, 'cs_deleted');
    await ok(s, 'POST', `/rest/v2/orders/${paid.id}/payments`, {
      payment_amount: 20,
      payment_method_type: 'Stripe',
      notes: 'first half',
      external_source_value: 'pi_1',
      apply_to_commissions: true,
    });
    await ok(s, 'POST', `/rest/v2/orders/${paid.id}/payments`, {
      payment_amount: 22.98,
      payment_method_type: 'Stripe',
      apply_to_commissions: false,
    });
    await ok(s, 'POST', `/rest/v2/orders/${partial.id}/payments`, {
      payment_amount: 5,
      payment_method_type: 'Cash',
      apply_to_commissions: false,
    });
    assert.equal((await call(s, 'DELETE', `/rest/v2/orders/${deleted.id}`)).status, 204);

    const vip = await ok(s, 'POST', '/rest/v2/tags', { name: 'VIP', description: 'Big spender' });
    const buyer = await ok(s, 'POST', '/rest/v2/tags', { name: 'Buyer' });
    await ok(s, 'POST', `/rest/v2/tags/${vip.id}/contacts:applyTags`, { contact_ids: [ada.id] });
    await ok(s, 'POST', `/rest/v2/tags/${buyer.id}/contacts:applyTags`, { contact_ids: [ada.id, grace.id] });

    await ok(s, 'POST', `/rest/v2/contacts/${ada.id}/notes`, { user_id: '1', title: 'Called', text: 'Likes books' });
    await ok(s, 'POST', `/rest/v2/contacts/${grace.id}/notes`, {
      user_id: '1',
      type: 'Call',
      text: 'Prefers pens',
      is_pinned: true,
    });

    return {
      contacts: [ada.id as string, grace.id as string],
      products: [book.id as string, pen.id as string],
      orders: [paid.id as string, partial.id as string],
      deletedOrder: deleted.id as string,
      fieldName: key.field_name as string,
    };
  }

  /** Every read the Keap API offers on the populated data, including index-backed filters. */
  function reads(ids: Awaited<ReturnType<typeof populate>>): string[] {
    return [
      '/rest/v2/contacts',
      `/rest/v2/contacts?${f('email==ada@example.com')}`,
      ...ids.contacts.flatMap((id) => [
        `/rest/v2/contacts/${id}`,
        `/rest/v2/contacts/${id}?fields=origin,utm_parameters,create_time,update_time`,
        `/rest/v2/contacts/${id}/tags`,
        `/rest/v2/contacts/${id}/notes`,
        `/rest/v2/orders?${f(`contact_id==${id}`)}`,
      ]),
      '/rest/v2/products',
      `/rest/v2/products?${f('sku==BOOK-1')}`,
      ...ids.products.map((id) => `/rest/v2/products/${id}`),
      ...ids.products.map((id) => `/rest/v2/products/${id}/subscriptions`),
      '/rest/v2/products/-/subscriptions',
      '/rest/v2/orders/model',
      '/rest/v2/orders',
      `/rest/v2/orders?${f(`${ids.fieldName}==cs_partial`)}`,
      `/rest/v2/orders?${f('paid==true')}`,
      ...ids.orders.flatMap((id) => [`/rest/v2/orders/${id}`, `/rest/v2/orders/${id}/payments`]),
      `/rest/v2/orders/${ids.deletedOrder}`,
      '/rest/v2/tags',
      `/rest/v2/tags?${f('name==VIP')}`,
    ];
  }

  async function readAll(s: KeapSandbox, paths: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const path of paths) {
      const res = await call(s, 'GET', path);
      out.set(path, `${res.status} ${res.text}`);
    }
    return out;
  }

  it('restores every resource exactly after a restart and never reuses an id', async () => {
    const first = await start();
    const ids = await populate(first);
    const paths = reads(ids);
    const before = await readAll(first, paths);
    // The reads are meaningful: the lists hold what was created, the filters hit.
    assert.match(before.get(`/rest/v2/orders?${f(`${ids.fieldName}==cs_partial`)}`) ?? '', /^200 .*cs_partial/);
    assert.match(before.get(`/rest/v2/orders/${ids.deletedOrder}`) ?? '', /^404 /);
    const firstOrder = JSON.parse((before.get(`/rest/v2/orders/${ids.orders[0]}`) ?? '').slice(4));
    assert.equal(firstOrder.status, 'PAID');
    await first.close();

    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(saved.version, STATE_FORMAT_VERSION);
    assert.deepEqual(await readdir(join(dir, 'nested')), ['keap-sandbox.json'], 'no temp files left behind');

    const second = await start();
    const after = await readAll(second, paths);
    for (const path of paths) assert.equal(after.get(path), before.get(path), `GET ${path}`);

    // Fresh ids everywhere: the order id (above the deleted one too), its invoice, items, payment.
    const usedOrderIds = [...ids.orders, ids.deletedOrder].map(Number);
    const contact = await ok(second, 'POST', '/rest/v2/contacts', { email_addresses: [{ email: 'new@example.com' }] });
    assert.ok(!ids.contacts.includes(contact.id), `contact id ${contact.id} reused`);
    const order = await ok(second, 'POST', '/rest/v2/orders', {
      contact_id: contact.id,
      order_time: '2026-02-01T00:00:00Z',
      order_title: 'After restart',
      order_type: 'ONLINE',
      order_items: [{ product_id: ids.products[0], quantity: 1 }],
    });
    assert.ok(Number(order.id) > Math.max(...usedOrderIds), `order id ${order.id} reused`);
    const oldOrders = (await ok(second, 'GET', '/rest/v2/orders')).orders.filter((o: any) => o.id !== order.id);
    const oldInvoices = new Set(oldOrders.map((o: any) => o.invoice_id));
    const oldItems = new Set(oldOrders.flatMap((o: any) => o.order_items.map((i: any) => i.id)));
    assert.ok(Number(order.invoice_id) > Math.max(...[...oldInvoices].map(Number)), 'invoice id reused');
    assert.ok(!oldItems.has(order.order_items[0].id), 'order item id reused');
    const payment = await ok(second, 'POST', `/rest/v2/orders/${order.id}/payments`, {
      payment_amount: 19.99,
      payment_method_type: 'Cash',
      apply_to_commissions: false,
    });
    assert.ok(Number(payment.id) > 3, `payment id ${payment.id} reused`);
    const field = await ok(second, 'POST', '/rest/v2/orders/model/customFields', {
      label: 'Sales Sync Order Key',
      field_type: 'TEXT',
    });
    assert.equal(field.field_name, '_SalesSyncOrderKey1');
    await second.close();

    // The third generation sees the second one's writes.
    const third = await start();
    assert.equal((await ok(third, 'GET', `/rest/v2/orders/${order.id}`)).status, 'PAID');
  });

  it('saves shortly after changes while running, and reset() clears the saved data', async () => {
    const s = await start({ stateSaveDelayMs: 20 });
    const saved = async (): Promise<any> => JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual((await saved()).tables.contacts.rows, [], 'the file is created at start');
    const contact = await ok(s, 'POST', '/rest/v2/contacts', { email_addresses: [{ email: 'ada@example.com' }] });
    await waitFor(async () => (await saved()).tables.contacts.rows.length === 1);
    assert.equal((await saved()).tables.contacts.rows[0].id, Number(contact.id));
    assert.equal((await stat(file)).mode & 0o777, 0o600);

    s.reset();
    await waitFor(async () => (await saved()).tables.contacts.rows.length === 0);
  });

  it('fails the start on a corrupt, other-version or other-currency file and leaves it untouched', async () => {
    await start({ stateFile: file }).then((s) => s.close());
    const good = await readFile(file, 'utf8');

    const corrupt = good.slice(0, good.length / 2);
    await writeFile(file, corrupt);
    await assert.rejects(start(), (err: Error) => {
      assert.match(err.message, /state file .*keap-sandbox\.json cannot be loaded: it is not valid JSON/);
      assert.match(err.message, /left untouched/);
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), corrupt);

    await writeFile(file, JSON.stringify({ ...JSON.parse(good), version: 3 }));
    await assert.rejects(start(), /has format version 3; this sandbox reads versions 1 and 2/);

    await writeFile(file, JSON.stringify({ ...JSON.parse(good), tables: { contacts: [] } }));
    await assert.rejects(start(), /is not a valid sandbox state \(tables\.contacts: /);

    await writeFile(file, good);
    await assert.rejects(start({ currency: 'EUR' }), /holds amounts in USD but the sandbox is configured for EUR/);
    assert.equal(open.length, 1, 'no sandbox started on a bad file');
  });
});
