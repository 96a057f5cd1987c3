/**
 * The Keap sandbox against Keap's official v2 OpenAPI document: every routed operation exists in the spec
 * with the same method and path, and a scripted run through every operation (successes, validation errors,
 * 401, injected 5xx/429, a lost response) produces requests and responses that match the spec's schemas.
 * Skips when the spec (kept outside the repository, in ../shared/keap/) is absent.
 */
import { strict as assert } from 'node:assert';
import { type KeapSandbox, SANDBOX_ROUTES, type SandboxExchange, startKeapSandbox } from '../index';
import {
  type KeapSpec,
  SPEC_MISSING_MESSAGE,
  keapSpecAvailable,
  loadKeapSpec,
  validateExchange,
} from '../../test/support/keap-spec';

const KEY = 'sandbox-api-key';

describe('Keap sandbox conforms to the Keap v2 OpenAPI spec', function () {
  this.timeout(15_000);
  let spec: KeapSpec;
  let sandbox: KeapSandbox;
  const exchanges: SandboxExchange[] = [];

  before(async function () {
    if (!keapSpecAvailable()) {
      console.warn(`      ${SPEC_MISSING_MESSAGE}`);
      this.skip();
    }
    spec = loadKeapSpec();
    sandbox = await startKeapSandbox({ port: 0 });
    sandbox.onExchange((ex) => exchanges.push(ex));
  });
  after(async () => {
    await sandbox?.close();
  });

  async function call(method: string, path: string, body?: unknown, key: string | null = KEY) {
    const headers: Record<string, string> = {};
    if (key !== null) headers['X-Keap-API-Key'] = key;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
  }
  const f = (filter: string): string => `filter=${encodeURIComponent(filter)}`;

  it('routes only operations that exist in the spec with the same method and path', () => {
    for (const route of SANDBOX_ROUTES) {
      const op = spec.operations.get(route.operationId);
      assert.ok(op, `${route.operationId} is not in the spec`);
      assert.equal(op.method, route.method, `${route.operationId} method`);
      assert.equal(op.path, route.path, `${route.operationId} path`);
    }
  });

  it('exchanges every operation in conformance with the spec', async () => {
    // Contacts
    const contact = await call('POST', '/rest/v2/contacts', {
      given_name: 'Ada',
      family_name: 'Lovelace',
      email_addresses: [{ email: 'ada@example.com', field: 'EMAIL1' }],
      phone_numbers: [{ number: '+1 555 0100', field: 'PHONE1' }],
      addresses: [
        { field: 'BILLING', line1: '1 Main St', locality: 'Phoenix', region_code: 'US-AZ', country_code: 'USA' },
      ],
      origin: { ip_address: '127.0.0.1' },
      utm_parameters: { keap_source_id: 'form-1', utm_source: 'checkout' },
    });
    assert.equal(contact.status, 201);
    const contactId = contact.body.id as string;
    assert.equal(
      (
        await call('POST', '/rest/v2/contacts?duplicate_option=Email', {
          email_addresses: [{ email: 'ada@example.com' }],
        })
      ).status,
      200,
    );
    await call(
      'GET',
      `/rest/v2/contacts?${f('email==ada@example.com')}&page_size=10&fields=given_name,email_addresses`,
    );
    await call('GET', `/rest/v2/contacts/${contactId}`);
    await call('PATCH', `/rest/v2/contacts/${contactId}?update_mask=given_name&update_mask=family_name`, {
      given_name: 'Augusta',
      family_name: 'King',
    });
    await call('GET', '/rest/v2/contacts/999999');
    await call('POST', '/rest/v2/contacts', { given_name: 'No way to reach' });
    await call('GET', '/rest/v2/contacts', undefined, null);

    // Products
    const product = await call('POST', '/rest/v2/products', {
      name: 'Course',
      sku: 'COURSE-1',
      price: 1999,
      short_description: 'A course',
      inventory: { inventory_limit: 10, out_of_stock_enabled: false },
      shippable: true,
      weight: 1.5,
    });
    assert.equal(product.status, 201);
    const productId = product.body.id as string;
    const invalid = { name: 'No price', short_description: 'x' }; // deliberately breaks the request schema
    assert.equal((await call('POST', '/rest/v2/products', invalid)).status, 400);
    await call('GET', `/rest/v2/products?${f('sku==COURSE-1')}`);
    await call('GET', `/rest/v2/products/${productId}`);
    await call('PATCH', `/rest/v2/products/${productId}?update_mask=price&update_mask=inventory_limit`, {
      price: 2999,
      inventory_limit: 5,
    });

    // Subscription plans of the product
    const plan = await call('POST', `/rest/v2/products/${productId}/subscriptions`, {
      cycle_type: 'MONTHLY',
      frequency: 1,
      plan_price: 2900,
      total_cycles: 0,
      active: true,
      allow_prorating: false,
      display_order_index: 0,
    });
    assert.equal(plan.status, 201);
    const planId = plan.body.id as string;
    // Schema-valid, but the spec's description says the price must be >= 0.
    assert.equal(
      (await call('POST', `/rest/v2/products/${productId}/subscriptions`, { cycle_type: 'WEEKLY', plan_price: -1 }))
        .status,
      400,
    );
    await call(
      'GET',
      `/rest/v2/products/${productId}/subscriptions?${f('active==true;cycle_type==MONTHLY')}&page_size=10`,
    );
    await call('GET', '/rest/v2/products/-/subscriptions?order_by=id');
    await call('GET', `/rest/v2/products/${productId}/subscriptions/${planId}`);
    await call(
      'PATCH',
      `/rest/v2/products/${productId}/subscriptions/${planId}?update_mask=plan_price&update_mask=frequency`,
      {
        cycle_type: 'MONTHLY',
        plan_price: 3900,
        frequency: 3,
      },
    );
    assert.equal((await call('GET', `/rest/v2/products/${productId}/subscriptions/999999`)).status, 404);
    const withPlan = await call('GET', `/rest/v2/products/${productId}`);
    assert.equal((withPlan.body.subscription_plans as unknown[]).length, 1);

    // Order custom fields
    const field = await call('POST', '/rest/v2/orders/model/customFields', {
      label: 'Sales Sync Order Key',
      field_type: 'TEXT',
    });
    assert.equal(field.status, 201);
    await call('POST', '/rest/v2/orders/model/customFields', {
      label: 'Fulfilment',
      field_type: 'DROPDOWN',
      options: [{ label: 'Ship' }, { label: 'Hold' }],
    });
    await call('GET', '/rest/v2/orders/model');

    // Orders
    const newOrder = (key: string, extra: object = {}) =>
      call('POST', '/rest/v2/orders', {
        contact_id: contactId,
        order_time: '2026-01-02T03:04:05Z',
        order_title: 'Checkout order',
        order_type: 'ONLINE',
        notes: 'from checkout',
        order_items: [{ product_id: productId, quantity: 2, price_per_unit: 19.99, item_type: 'PRODUCT' }],
        custom_fields: [{ id: field.body.id as string, content: key }],
        shipping_address: {
          line1: '1 Main St',
          locality: 'Phoenix',
          region: 'AZ',
          zip_code: '85001',
          country_code: 'USA',
        },
        ...extra,
      });
    const order = await newOrder('acct:o-1');
    assert.equal(order.status, 201);
    const orderId = order.body.id as string;
    const second = await newOrder('acct:o-2');
    await newOrder('bad', { order_items: [{ product_id: '424242', quantity: 1 }] });
    await call('GET', `/rest/v2/orders/${orderId}`);
    await call('GET', `/rest/v2/orders?${f(`${field.body.field_name as string}==acct:o-1`)}`);
    const page = await call('GET', `/rest/v2/orders?${f(`contact_id==${contactId};paid==false`)}&page_size=1`);
    await call('GET', `/rest/v2/orders?page_size=1&page_token=${page.body.next_page_token as string}`);
    assert.equal((await call('DELETE', `/rest/v2/orders/${second.body.id as string}`)).status, 204);

    // Payments
    const payment = (amount: number) =>
      call('POST', `/rest/v2/orders/${orderId}/payments`, {
        payment_amount: amount,
        apply_to_commissions: false,
        payment_method_type: 'Credit Card (Manual)',
        payment_time: '2026-01-02T03:05:00Z',
        notes: 'sales-sync:pi_1 Paid at checkout',
        external_source: 'Sales Sync',
        external_source_value: 'pi_1',
      });
    assert.equal((await payment(10)).status, 201);
    assert.equal((await payment(100)).status, 400);
    await call('GET', `/rest/v2/orders/${orderId}/payments`);
    await call('DELETE', `/rest/v2/orders/${orderId}`);

    // Tags
    const tag = await call('POST', '/rest/v2/tags', { name: 'Refunded', description: 'Order refunded' });
    assert.equal(tag.status, 201);
    await call('POST', '/rest/v2/tags', { name: 'Refunded' });
    await call('GET', `/rest/v2/tags?${f('name==Refunded')}`);
    await call('POST', `/rest/v2/tags/${tag.body.id as string}/contacts:applyTags`, {
      contact_ids: [contactId, '999'],
    });
    await call('GET', `/rest/v2/contacts/${contactId}/tags`);
    await call('POST', `/rest/v2/tags/${tag.body.id as string}/contacts:removeTags`, { contact_ids: [contactId] });

    // Notes
    await call('POST', `/rest/v2/contacts/${contactId}/notes`, {
      user_id: '1',
      title: 'Refund',
      text: 'Refunded $19.99',
      type: 'Other',
      is_pinned: true,
    });
    await call('GET', `/rest/v2/contacts/${contactId}/notes`);

    // Failure modes: injected 5xx and 429 (nothing committed) and a lost response (status 0).
    sandbox.faults.inject({ operation: 'listTags', mode: 'error-5xx' });
    sandbox.faults.inject({ operation: 'getOrder', mode: 'throttle-429' });
    sandbox.faults.inject({ operation: 'createTag', mode: 'commit-then-lose' });
    assert.equal((await call('GET', '/rest/v2/tags')).status, 500);
    assert.equal((await call('GET', `/rest/v2/orders/${orderId}`)).status, 429);
    await assert.rejects(call('POST', '/rest/v2/tags', { name: 'Lost' }));

    const isInvalid = (ex: SandboxExchange): boolean => JSON.stringify(ex.requestBody) === JSON.stringify(invalid);
    const problems = exchanges.flatMap((ex) => validateExchange(ex, spec, { checkRequest: !isInvalid(ex) }));
    const flagged = exchanges.filter(isInvalid).flatMap((ex) => validateExchange(ex, spec));
    assert.match(flagged.join('\n'), /required property 'price'/, 'the deliberately invalid request is flagged');
    assert.deepEqual(problems, [], `spec violations:\n${problems.join('\n')}`);

    const succeeded = new Set(exchanges.filter((e) => e.status >= 200 && e.status < 300).map((e) => e.operationId));
    const missing = SANDBOX_ROUTES.map((r) => r.operationId).filter((id) => !succeeded.has(id));
    assert.deepEqual(missing, [], 'every routed operation was exercised successfully');
    const statuses = new Set(exchanges.map((e) => e.status));
    for (const s of [0, 200, 201, 204, 400, 401, 404, 409, 429, 500])
      assert.ok(statuses.has(s), `status ${s} exercised`);
  });

  describe('validateExchange', () => {
    const base = { path: '/crm/rest/v2/products', method: 'POST', operationId: 'createProduct', status: 201 };

    it('accepts a conforming exchange', () => {
      const ok = validateExchange(
        {
          ...base,
          requestBody: { name: 'P', price: 100, short_description: 's' },
          responseBody: { id: '1', name: 'P', price: { amount: 100, currency_code: 'USD', formatted_amount: '$1.00' } },
        },
        spec,
      );
      assert.deepEqual(ok, []);
    });

    it('reports undeclared and mistyped request properties', () => {
      const problems = validateExchange(
        {
          ...base,
          requestBody: { name: 'P', price: '1.00', price_cents: 100, short_description: 's' },
          responseBody: {},
        },
        spec,
      );
      assert.ok(
        problems.some((p) => /undeclared property 'price_cents'/.test(p)),
        problems.join('\n'),
      );
      assert.ok(
        problems.some((p) => /\/price must be integer/.test(p)),
        problems.join('\n'),
      );
    });

    it('reports missing required request fields and bad response shapes', () => {
      const problems = validateExchange(
        { ...base, requestBody: { name: 'P' }, responseBody: { id: 1, price: { amount: 1.5 }, colour: 'red' } },
        spec,
      );
      assert.ok(
        problems.some((p) => /must have required property 'price'/.test(p)),
        problems.join('\n'),
      );
      assert.ok(
        problems.some((p) => /response body \/id must be string/.test(p)),
        problems.join('\n'),
      );
      assert.ok(
        problems.some((p) => /\/price\/amount must be integer/.test(p)),
        problems.join('\n'),
      );
      assert.ok(
        problems.some((p) => /response body \(root\) has undeclared property 'colour'/.test(p)),
        problems.join('\n'),
      );
    });

    it('reports unknown operations, wrong paths, undocumented statuses and bad query parameters', () => {
      assert.match(validateExchange({ ...base, operationId: 'makeCoffee' }, spec).join(), /does not exist/);
      assert.match(validateExchange({ ...base, path: '/crm/rest/v2/tags' }, spec).join(), /does not match/);
      assert.match(validateExchange({ ...base, status: 418, requestBody: undefined }, spec).join(), /not documented/);
      const query = validateExchange(
        {
          operationId: 'updateProduct',
          method: 'PATCH',
          path: '/crm/rest/v2/products/1',
          query: { update_mask: ['price', 'colour'], verbose: 'yes' },
          status: 0,
          requestBody: { price: 1 },
        },
        spec,
      );
      assert.ok(
        query.some((p) => /update_mask=colour/.test(p)),
        query.join('\n'),
      );
      assert.ok(!query.some((p) => /update_mask=price/.test(p)), query.join('\n'));
      assert.ok(
        query.some((p) => /'verbose' is not declared/.test(p)),
        query.join('\n'),
      );
    });

    it('reads array query parameters in the form the spec declares', () => {
      const patch = (query: Record<string, string | string[]>) =>
        validateExchange(
          {
            operationId: 'updateProduct',
            method: 'PATCH',
            path: '/crm/rest/v2/products/1',
            query,
            status: 0,
            requestBody: { price: 1, name: 'P' },
          },
          spec,
        );
      // update_mask declares no style: form, exploded (`update_mask=price&update_mask=name`).
      assert.deepEqual(patch({ update_mask: ['price', 'name'] }), []);
      assert.deepEqual(patch({ update_mask: 'price' }), []);
      assert.match(
        patch({ update_mask: 'price,name' }).join('\n'),
        /update_mask=price,name: .*must be equal to one of/,
      );
      // listContacts' fields is `explode: false`: one comma-separated value.
      const list = (query: Record<string, string | string[]>) =>
        validateExchange(
          { operationId: 'listContacts', method: 'GET', path: '/crm/rest/v2/contacts', query, status: 0 },
          spec,
        );
      assert.deepEqual(list({ fields: 'given_name,email_addresses' }), []);
      assert.match(list({ fields: ['given_name', 'email_addresses'] }).join('\n'), /fields.*one comma-separated value/);
    });

    it('finds the operation by method and path when no operationId is given', () => {
      assert.match(
        validateExchange(
          { method: 'GET', path: '/crm/rest/v2/orders/7', status: 200, responseBody: { id: '7' } },
          spec,
        ).join(),
        /^$/,
        'finds the operation by method and path when no operationId is given',
      );
    });
  });
});
