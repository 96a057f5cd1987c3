/** The HTTP API's contract: auth, accounts, the documented 4xx answers, and its OpenAPI document. */
import { strict as assert } from 'node:assert';
import { getStack } from './support/stack';
import type { Stack } from './support/stack';
import { createAccount, oneTimeOrder, SANDBOX_KEY, uniqueId } from './support/fixtures';

describe('HTTP API', function () {
  this.timeout(60_000);
  let stack: Stack;
  let accountId: string;

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    accountId = await createAccount(stack);
  });

  describe('auth', () => {
    it('answers /healthz without auth', async () => {
      const res = await stack.call('GET', '/healthz', undefined, { token: null });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { status: 'ok' });
    });

    for (const [label, token] of [
      ['no token', null],
      ['a wrong token', 'wrong-token-0123456789'],
      ['an empty token', ''],
    ] as const) {
      it(`refuses ${label} on every /v1 route`, async () => {
        for (const [method, path] of [
          ['GET', `/v1/accounts/${accountId}`],
          ['POST', `/v1/accounts/${accountId}/orders`],
          ['GET', '/v1/openapi.json'],
        ] as const) {
          const res = await stack.call(method, path, method === 'POST' ? oneTimeOrder() : undefined, { token });
          assert.equal(res.status, 401, `${method} ${path}`);
          assert.equal(res.body.error.code, 'unauthorized');
          assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
        }
      });
    }
  });

  describe('accounts', () => {
    it('creates, replaces and reads an account with the API key redacted', async () => {
      const id = uniqueId('acct');
      const body = {
        keap: { apiKey: 'KeapAK-secret-value-1234' },
        salesSyncEnabled: true,
        paymentMethodType: 'Stripe',
      };
      const created = await stack.call('PUT', `/v1/accounts/${id}`, body);
      assert.equal(created.status, 201);
      assert.equal(created.body.keap.apiKey, '[redacted …1234]');
      assert.ok(!JSON.stringify(created.body).includes('secret-value'));
      const replaced = await stack.call('PUT', `/v1/accounts/${id}`, { ...body, salesSyncEnabled: false });
      assert.equal(replaced.status, 200);
      assert.equal(replaced.body.createdAt, created.body.createdAt);
      const read = await stack.call('GET', `/v1/accounts/${id}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.salesSyncEnabled, false);
      assert.ok(!JSON.stringify(read.body).includes('secret-value'));
      assert.deepEqual(
        (await stack.accounts.get(id))?.keap,
        { type: 'apiKey', apiKey: 'KeapAK-secret-value-1234' },
        'stored intact',
      );
    });

    it('answers 404 for an unknown account and 400 for bad account bodies', async () => {
      assert.equal((await stack.call('GET', '/v1/accounts/nobody')).status, 404);
      const bad = await stack.call('PUT', `/v1/accounts/${uniqueId('a')}`, {
        keap: { apiKey: 'short' },
        salesSyncEnabled: 'yes',
      });
      assert.equal(bad.status, 400);
      const paths = bad.body.error.details.map((d: { path: string }) => d.path).sort();
      assert.deepEqual(paths, ['keap.apiKey', 'paymentMethodType', 'salesSyncEnabled']);
      const badUrl = await stack.call('PUT', `/v1/accounts/${uniqueId('a')}`, {
        keap: { apiKey: SANDBOX_KEY },
        keapBaseUrl: 'ftp://example.com',
        salesSyncEnabled: true,
        paymentMethodType: 'Stripe',
      });
      assert.equal(badUrl.status, 400);
    });
  });

  describe('order validation', () => {
    const post = (body: unknown, init?: Parameters<Stack['call']>[3]) =>
      stack.call('POST', `/v1/accounts/${accountId}/orders`, body, init);

    const cases: [string, (o: ReturnType<typeof oneTimeOrder>) => unknown, string][] = [
      ['a missing customer', ({ customer: _c, ...rest }) => rest, 'customer'],
      ['an invalid email', (o) => ({ ...o, customer: { ...o.customer, email: 'not-an-email' } }), 'customer.email'],
      ['no items', (o) => ({ ...o, items: [] }), 'items'],
      ['a fractional amount', (o) => ({ ...o, items: [{ ...o.items[0], unitAmount: 19.99 }] }), 'items.0.unitAmount'],
      ['a negative amount', (o) => ({ ...o, items: [{ ...o.items[0], unitAmount: -1 }] }), 'items.0.unitAmount'],
      ['a string amount', (o) => ({ ...o, payment: { ...o.payment, amount: '4900' } }), 'payment.amount'],
      ['a zero payment', (o) => ({ ...o, payment: { ...o.payment, amount: 0 } }), 'payment.amount'],
      ['an unknown currency', (o) => ({ ...o, currency: 'XYZ' }), 'currency'],
      ['a lowercase currency', (o) => ({ ...o, currency: 'usd' }), 'currency'],
      ['an unknown plan type', (o) => ({ ...o, plan: { type: 'lifetime' } }), 'plan.type'],
      ['a bad paidAt', (o) => ({ ...o, payment: { ...o.payment, paidAt: 'yesterday' } }), 'payment.paidAt'],
      ['an order id with a slash', (o) => ({ ...o, orderId: 'a/b' }), 'orderId'],
      ['an order id with a colon', (o) => ({ ...o, orderId: 'a:b' }), 'orderId'],
      // Card fields (cardNumber, cvc, …) are a 422 card_data_rejected: see hostile-input.test.ts.
      [
        'a bad country',
        (o) => ({ ...o, customer: { ...o.customer, address: { ...o.customer.address, country: 'ZZ' } } }),
        'customer.address.country',
      ],
    ];
    for (const [label, mutate, path] of cases) {
      it(`answers 400 naming the field for ${label}`, async () => {
        const res = await post(mutate(oneTimeOrder()));
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.error.code, 'validation_failed');
        assert.ok(
          res.body.error.details.some((d: { path: string }) => d.path === path),
          `expected a problem at ${path}, got ${JSON.stringify(res.body.error.details)}`,
        );
      });
    }

    it('answers 422 when the payment does not match the items', async () => {
      const order = oneTimeOrder();
      const res = await post({ ...order, payment: { ...order.payment, amount: 4899 } });
      assert.equal(res.status, 422);
      assert.equal(res.body.error.code, 'amount_mismatch');
      assert.deepEqual(res.body.error.details, [
        { path: 'payment.amount', message: "must equal the items' total, 4900" },
      ]);
    });

    it('answers 400 for malformed JSON, 415 for other content types, 413 for oversized bodies', async () => {
      const malformed = await post(undefined, {
        rawBody: '{"orderId": ',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.error.code, 'invalid_json');
      const text = await post(undefined, { rawBody: 'orderId=1', headers: { 'content-type': 'text/plain' } });
      assert.equal(text.status, 415);
      const huge = await post(undefined, {
        rawBody: JSON.stringify({ pad: 'x'.repeat(200 * 1024) }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.error.code, 'body_too_large');
      const empty = await post(undefined, { headers: { 'content-type': 'application/json' } });
      assert.equal(empty.status, 400);
      // Still serving after all of that.
      assert.equal((await stack.call('GET', '/healthz')).status, 200);
    });

    it('answers 404 for an unknown account without starting anything', async () => {
      const order = oneTimeOrder();
      const res = await stack.call('POST', '/v1/accounts/nobody/orders', order);
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 'account_not_found');
      const lookup = await stack.call('GET', `/v1/accounts/nobody/orders/${order.orderId}`);
      assert.equal(lookup.status, 404);
    });
  });

  describe('OpenAPI document', () => {
    it('is served at /v1/openapi.json, generated from the request schemas', async () => {
      const res = await stack.call('GET', '/v1/openapi.json');
      assert.equal(res.status, 200);
      assert.equal(res.body.openapi, '3.1.0');
      assert.ok(res.body.paths['/v1/accounts/{accountId}/orders'].post);
      assert.ok(res.body.paths['/v1/accounts/{accountId}'].put);
      const order = res.body.components.schemas.OrderRequest;
      assert.deepEqual([...order.required].sort(), ['currency', 'customer', 'items', 'orderId', 'plan']);
      assert.ok(res.body.paths['/v1/accounts/{accountId}/orders/{orderId}/payments'].post);
      assert.deepEqual(res.body.components.schemas.Plan.oneOf.map((p: any) => p.$ref).sort(), [
        '#/components/schemas/OneTimePlan',
        '#/components/schemas/PaymentPlan',
        '#/components/schemas/SubscriptionPlan',
      ]);
      assert.equal(res.body.components.schemas.LineItem.properties.unitAmount.type, 'integer');
    });
  });
});
