/**
 * Shared setup of the Keap sandbox's behaviour tests: an HTTP caller, the response shapes the assertions
 * read, Keap error checks, and `useSandbox()`, the one sandbox a suite shares (reset before each test)
 * with helpers that create a contact, product, order custom field or order.
 */
import { strict as assert } from 'node:assert';
import { type KeapSandbox, startKeapSandbox } from '../index';

export const KEY = 'sandbox-api-key';

// The response shapes the assertions read (the conformance test checks them against the spec in full).
export interface Money {
  amount: number;
  currency_code: string;
  formatted_amount: string;
}
export interface ErrorBody {
  code: number;
  message: string;
  status: string;
  details?: { domain?: string }[];
}
export interface ContactBody {
  id: string;
  given_name?: string;
  family_name?: string;
  email_addresses: { email: string; field: string }[];
  phone_numbers: { number: string; field: string }[];
  tag_ids: string[];
}
export interface ProductBody {
  id: string;
  name: string;
  sku?: string;
  price: Money;
  active: boolean;
}
export interface OrderBody {
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
export interface PaymentBody {
  amount: number;
  note?: string;
  pay_status: string;
  invoice_id: string;
}
export interface TagBody {
  id: string;
  name: string;
}
export interface Listing {
  next_page_token: string;
  contacts: ContactBody[];
  products: ProductBody[];
  orders: OrderBody[];
  tags: TagBody[];
  notes: { text?: string }[];
  invoice_order_payments: PaymentBody[];
}

export interface Reply<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the sandbox's Keap API with the test API key (`key: null` sends none). */
export function client(sandbox: () => KeapSandbox) {
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

/** Calls the sandbox's admin API (`/__sandbox/...`). */
export function adminClient(sandbox: () => KeapSandbox) {
  return (method: string, path: string, body?: unknown) =>
    fetch(`${sandbox().url.replace(/\/crm$/, '')}/__sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

export const f = (filter: string): string => `filter=${encodeURIComponent(filter)}`;

export function assertKeapError(reply: Reply<unknown>, status: number, message?: RegExp): void {
  const body = reply.body as ErrorBody;
  assert.equal(reply.status, status, JSON.stringify(body));
  assert.equal(body.code, status);
  assert.equal(typeof body.message, 'string');
  assert.equal(typeof body.status, 'string');
  if (message) assert.match(body.message, message);
}

/**
 * Registers the enclosing suite's hooks: one sandbox (which also accepts the bearer token `oauth-token`)
 * started before its tests, reset before each and closed after them.
 */
export function useSandbox() {
  let sandbox: KeapSandbox;
  const current = (): KeapSandbox => sandbox;
  const call = client(current);

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

  return { sandbox: current, call, admin: adminClient(current), contact, product, orderKeyField, order };
}
