/**
 * Hostile input, table-driven, against the real API on the shared stack: malformed and malicious
 * requests and webhooks, each with the status and error code (or message) the API must answer.
 * Never a 5xx, never a crash: the server answers /healthz after the table. Requests are sent with
 * node:http rather than fetch, so paths reach the server exactly as written (fetch would resolve
 * `..` and `%2e%2e` itself).
 */
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../api/stripe/version';
import { invoicePaid } from '../scripts/stripe-events';
import { API_TOKEN, getStack, STRIPE_WEBHOOK_SECRET } from './support/stack';
import type { Stack } from './support/stack';
import { createAccount, oneTimeOrder, uniqueId, waitFor, waitForStatus } from './support/fixtures';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed JSON body, when it is JSON. */
  body: any;
}

interface SendOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The Authorization header: the valid bearer token unless given (null: none). */
  authorization?: string | null;
}

interface Row {
  category: string;
  name: string;
  send(): Promise<Reply>;
  status: number;
  /** error.code of the API's error shape. */
  code?: string;
  /** Matched against error.message, or against the raw text when the answer is not our error shape. */
  message?: RegExp;
  check?(reply: Reply): void | Promise<void>;
}

const stripe = new Stripe('sk_test_signing_only', { apiVersion: STRIPE_API_VERSION });
const sign = (payload: string, secret = STRIPE_WEBHOOK_SECRET, timestamp?: number) =>
  stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

/** `depth` arrays nested in each other: `[[[…]]]`. */
const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('hostile input: malformed and malicious requests and webhooks', function () {
  this.timeout(60_000);
  let stack: Stack;
  let accountId: string;
  let host: string;
  let port: number;
  let logOffset: number;

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    logOffset = stack.logs().length;
    accountId = await createAccount(stack);
    const url = new URL(stack.api.url);
    host = url.hostname;
    port = Number(url.port);
  });

  function send(method: string, path: string, options: SendOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    const authorization = options.authorization === undefined ? `Bearer ${API_TOKEN}` : options.authorization;
    if (authorization !== null) headers.authorization = authorization;
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    return new Promise((resolve, reject) => {
      const req = request({ host, port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: text || (res.statusMessage ?? ''), body });
        });
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  const json = { 'content-type': 'application/json' };
  const ordersPath = () => `/v1/accounts/${accountId}/orders`;
  const postOrderText = (text: string | Buffer, headers: Record<string, string> = json) =>
    send('POST', ordersPath(), { body: text, headers });
  /** Posts a valid one-time order changed by `mutate`. */
  const postOrder = (mutate: (order: any) => unknown) => postOrderText(JSON.stringify(mutate(oneTimeOrder())));
  const getAccount = (authorization: string | null) => send('GET', `/v1/accounts/${accountId}`, { authorization });
  const webhook = (body: string, signature?: string, headers: Record<string, string> = json) =>
    send('POST', '/v1/webhooks/stripe', {
      body,
      authorization: null,
      headers: signature === undefined ? headers : { ...headers, 'stripe-signature': signature },
    });
  const paidEvent = (
    routing: { accountId: string; orderId: string },
    invoiceId = `in_${uniqueId('x')}`,
    amount = 100,
  ) => JSON.stringify(invoicePaid(routing, { invoiceId, amount }));

  /** The replayed-webhook row pays this plan's second installment twice; checked after the table. */
  const replayPlan = { orderId: uniqueId('replay'), invoiceId: '' };

  const rows: Row[] = [
    // ---- Bearer token variants
    {
      category: 'auth',
      name: 'no Authorization header',
      send: () => getAccount(null),
      status: 401,
      code: 'unauthorized',
      check: (r) => assert.match(String(r.headers['www-authenticate']), /^Bearer realm=/),
    },
    {
      category: 'auth',
      name: 'the token in the query string instead of the header',
      send: () =>
        send('GET', `/v1/accounts/${accountId}?access_token=${API_TOKEN}&token=${API_TOKEN}`, { authorization: null }),
      status: 401,
      code: 'unauthorized',
    },
    {
      category: 'auth',
      name: 'Basic scheme carrying the token',
      send: () => getAccount(`Basic ${Buffer.from(`x:${API_TOKEN}`).toString('base64')}`),
      status: 401,
      code: 'unauthorized',
    },
    {
      category: 'auth',
      name: 'the bare token without a scheme',
      send: () => getAccount(API_TOKEN),
      status: 401,
      code: 'unauthorized',
    },
    {
      category: 'auth',
      name: '"Bearer" with no token',
      send: () => getAccount('Bearer '),
      status: 401,
      code: 'unauthorized',
    },
    {
      category: 'auth',
      name: 'the token with a character appended',
      send: () => getAccount(`Bearer ${API_TOKEN}x`),
      status: 401,
      code: 'unauthorized',
    },
    {
      category: 'auth',
      name: 'a prefix of the token',
      send: () => getAccount(`Bearer ${API_TOKEN.slice(0, -1)}`),
      status: 401,
      code: 'unauthorized',
    },
    {
      category: 'auth',
      name: 'the token in upper case (tokens are case-sensitive)',
      send: () => getAccount(`Bearer ${API_TOKEN.toUpperCase()}`),
      status: 401,
      code: 'unauthorized',
    },
    {
      category: 'auth',
      name: 'a wrong token and the right one in one header',
      send: () => getAccount(`Bearer wrong-token-0123456789, Bearer ${API_TOKEN}`),
      status: 401,
      code: 'unauthorized',
    },
    {
      // RFC 7235 §2.1: the auth scheme is case-insensitive, so "bearer" is the same scheme.
      category: 'auth',
      name: 'lowercase "bearer" scheme with the right token (accepted: schemes are case-insensitive)',
      send: () => getAccount(`bearer ${API_TOKEN}`),
      status: 200,
      check: (r) => assert.equal(r.body.accountId, accountId),
    },
    {
      // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
      category: 'auth',
      name: 'extra spaces between scheme and token (accepted: 1*SP)',
      send: () => getAccount(`Bearer    ${API_TOKEN}`),
      status: 200,
      check: (r) => assert.equal(r.body.accountId, accountId),
    },

    // ---- Wrong types and missing fields
    {
      category: 'types',
      name: 'a JSON array as the body',
      send: () => postOrderText('[]'),
      status: 400,
      code: 'validation_failed',
      message: /\(root\)/,
    },
    {
      category: 'types',
      name: 'JSON null as the body (not an object: strict parsing)',
      send: () => postOrderText('null'),
      status: 400,
      code: 'invalid_json',
    },
    {
      category: 'types',
      name: 'a JSON string as the body',
      send: () => postOrderText('"order"'),
      status: 400,
      code: 'invalid_json',
    },
    {
      category: 'types',
      name: 'no orderId',
      send: () => postOrder(({ orderId: _o, ...rest }) => rest),
      status: 400,
      code: 'validation_failed',
      message: /orderId: Invalid input: expected string, received undefined/,
    },
    {
      category: 'types',
      name: 'quantity as a string',
      send: () => postOrder((o) => ({ ...o, items: [{ ...o.items[0], quantity: '2' }, o.items[1]] })),
      status: 400,
      code: 'validation_failed',
      message: /items\.0\.quantity: Invalid input: expected number, received string/,
    },
    {
      category: 'types',
      name: 'items as an object instead of an array',
      send: () => postOrder((o) => ({ ...o, items: { 0: o.items[0] } })),
      status: 400,
      code: 'validation_failed',
      message: /items: Invalid input: expected array/,
    },
    {
      category: 'types',
      name: 'customer as a string',
      send: () => postOrder((o) => ({ ...o, customer: 'ada@example.com' })),
      status: 400,
      code: 'validation_failed',
      message: /customer: Invalid input: expected object/,
    },
    {
      category: 'types',
      name: 'a region longer than Keap takes (50 characters): refused here, not parked later',
      send: () =>
        postOrder((o) => ({
          ...o,
          customer: { ...o.customer, address: { ...o.customer.address, region: 'R'.repeat(51) } },
        })),
      status: 400,
      code: 'validation_failed',
      message: /customer\.address\.region: Too big: expected string to have <=50 characters/,
    },
    {
      category: 'types',
      name: 'a SKU with ";" (Keap filter syntax): refused here, not retried forever on lookup',
      send: () => postOrder((o) => ({ ...o, items: [{ ...o.items[0], sku: 'BOOK;1' }, o.items[1]] })),
      status: 400,
      code: 'validation_failed',
      message: /items\.0\.sku: must not contain ";", "\*" or control characters/,
    },

    // ---- Amounts
    {
      category: 'amounts',
      name: 'a negative unit amount',
      send: () => postOrder((o) => ({ ...o, items: [{ ...o.items[0], unitAmount: -1999 }, o.items[1]] })),
      status: 400,
      code: 'validation_failed',
      message: /items\.0\.unitAmount: Too small/,
    },
    {
      category: 'amounts',
      name: 'a huge amount (10^15 minor units)',
      send: () => postOrder((o) => ({ ...o, payment: { ...o.payment, amount: 1e15 } })),
      status: 400,
      code: 'validation_failed',
      message: /payment\.amount: Too big/,
    },
    {
      category: 'amounts',
      name: 'an amount beyond 2^53 (precision lost)',
      send: () => postOrderText(JSON.stringify(oneTimeOrder()).replace('"amount":4900', '"amount":9007199254740993')),
      status: 400,
      code: 'validation_failed',
      message: /payment\.amount: Too big/,
    },
    {
      category: 'amounts',
      name: 'a non-integer amount (decimal dollars)',
      send: () => postOrder((o) => ({ ...o, payment: { ...o.payment, amount: 49.0001 } })),
      status: 400,
      code: 'validation_failed',
      message: /payment\.amount: must be an integer number of minor units/,
    },
    {
      category: 'amounts',
      name: '1e400 (parses to Infinity)',
      send: () => postOrderText(JSON.stringify(oneTimeOrder()).replace('"amount":4900', '"amount":1e400')),
      status: 400,
      code: 'validation_failed',
      message: /payment\.amount/,
    },
    {
      category: 'amounts',
      name: 'a bare NaN literal (not JSON)',
      send: () => postOrderText(JSON.stringify(oneTimeOrder()).replace('"amount":4900', '"amount":NaN')),
      status: 400,
      code: 'invalid_json',
    },
    {
      category: 'amounts',
      name: '"NaN" as a string',
      send: () => postOrder((o) => ({ ...o, payment: { ...o.payment, amount: 'NaN' } })),
      status: 400,
      code: 'validation_failed',
      message: /payment\.amount: Invalid input: expected number, received string/,
    },
    {
      category: 'amounts',
      name: 'an unknown currency',
      send: () => postOrder((o) => ({ ...o, currency: 'BTC' })),
      status: 400,
      code: 'validation_failed',
      message: /currency: must be an ISO 4217 currency code/,
    },
    {
      category: 'amounts',
      name: 'a numeric currency code',
      send: () => postOrder((o) => ({ ...o, currency: 840 })),
      status: 400,
      code: 'validation_failed',
      message: /currency: Invalid input: expected string/,
    },

    // ---- Content type, encoding, syntax, size
    {
      category: 'body',
      name: 'text/plain',
      send: () => postOrderText(JSON.stringify(oneTimeOrder()), { 'content-type': 'text/plain' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      category: 'body',
      name: 'a form-encoded body',
      send: () => postOrderText('orderId=1&amount=1', { 'content-type': 'application/x-www-form-urlencoded' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      category: 'body',
      name: 'a body without a Content-Type',
      send: () => postOrderText(JSON.stringify(oneTimeOrder()), {}),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      category: 'body',
      name: 'JSON in a charset JSON does not allow (iso-8859-1)',
      send: () => postOrderText('{}', { 'content-type': 'application/json; charset=iso-8859-1' }),
      status: 415,
      code: 'unsupported_charset',
    },
    {
      category: 'body',
      name: 'an unsupported Content-Encoding',
      send: () => postOrderText('{}', { ...json, 'content-encoding': 'x-custom' }),
      status: 415,
      code: 'unsupported_encoding',
    },
    {
      category: 'body',
      name: 'truncated JSON',
      send: () => postOrderText('{"orderId": '),
      status: 400,
      code: 'invalid_json',
      check: (r) => assert.ok(!r.text.includes('at position'), 'no parser internals in the answer'),
    },
    {
      category: 'body',
      name: 'JSON with a trailing comma and comments',
      send: () => postOrderText('{"orderId": "a", /* x */ }'),
      status: 400,
      code: 'invalid_json',
    },
    {
      category: 'body',
      name: 'deeply nested JSON (20 000 levels) in a field',
      send: () => postOrderText(`{"orderId":"deep","customer":${nestedArrays(20_000)}}`),
      status: 400,
      code: 'validation_failed',
      message: /customer: Invalid input: expected object/,
    },
    {
      category: 'body',
      name: 'deeply nested objects (5 000 levels) under an unknown key',
      send: () => postOrderText(`${'{"x":'.repeat(5_000)}1${'}'.repeat(5_000)}`),
      status: 400,
      code: 'validation_failed',
      message: /Unrecognized key: "x"/,
    },
    {
      category: 'body',
      name: 'an oversized body (over the 64 KiB limit)',
      send: () => postOrder((o) => ({ ...o, customer: { ...o.customer, firstName: 'x'.repeat(100 * 1024) } })),
      status: 413,
      code: 'body_too_large',
    },
    {
      category: 'body',
      name: 'a gzip bomb (10 KiB that inflates to 10 MiB)',
      send: () =>
        postOrderText(gzipSync(Buffer.from(`{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`)), {
          ...json,
          'content-encoding': 'gzip',
        }),
      status: 413,
      code: 'body_too_large',
    },
    {
      // JSON.parse keeps the last of duplicate keys; validation sees that one, so a valid first value
      // cannot smuggle an invalid second one past it.
      category: 'body',
      name: 'a duplicate key whose last value is invalid (the last one is validated)',
      send: () =>
        postOrderText(
          JSON.stringify(oneTimeOrder()).replace(/^\{/, '{"orderId":"ok-1",').replace(/}$/, ',"orderId":"a/b"}'),
        ),
      status: 400,
      code: 'validation_failed',
      message: /orderId: must be 1-100 characters/,
    },

    // ---- Prototype pollution
    {
      category: 'prototype',
      name: '"__proto__" at the top level',
      send: () => postOrderText(JSON.stringify(oneTimeOrder()).replace(/^\{/, '{"__proto__":{"polluted":true},')),
      status: 400,
      code: 'validation_failed',
      message: /Unrecognized key: "__proto__"/,
      check: () => assert.equal(({} as Record<string, unknown>).polluted, undefined),
    },
    {
      category: 'prototype',
      name: '"constructor": { "prototype": … } in the customer',
      send: () =>
        postOrder((o) => ({ ...o, customer: { ...o.customer, constructor: { prototype: { polluted: 1 } } } })),
      status: 400,
      code: 'validation_failed',
      message: /customer: Unrecognized key: "constructor"/,
    },
    {
      category: 'prototype',
      name: '"__proto__" inside a line item',
      send: () =>
        postOrderText(
          JSON.stringify(oneTimeOrder()).replace('"sku":"BOOK-1"', '"__proto__":{"sku":"X"},"sku":"BOOK-1"'),
        ),
      status: 400,
      code: 'validation_failed',
      message: /items\.0: Unrecognized key: "__proto__"/,
    },
    {
      category: 'prototype',
      name: 'an account named "constructor" (a key of every object)',
      send: () => send('GET', '/v1/accounts/constructor'),
      status: 404,
      code: 'account_not_found',
    },
    {
      category: 'prototype',
      name: 'an order for an account named "hasOwnProperty"',
      send: () =>
        send('POST', '/v1/accounts/hasOwnProperty/orders', { body: JSON.stringify(oneTimeOrder()), headers: json }),
      status: 404,
      code: 'account_not_found',
    },

    // ---- Card data
    {
      category: 'card data',
      name: 'cardNumber in the payment',
      send: () => postOrder((o) => ({ ...o, payment: { ...o.payment, cardNumber: '4242424242424242' } })),
      status: 422,
      code: 'card_data_rejected',
      message: /payment\.cardNumber/,
      check: (r) => assert.ok(!r.text.includes('4242424242424242'), 'the number is not echoed'),
    },
    {
      category: 'card data',
      name: 'a Stripe-style card object at the top level',
      send: () =>
        postOrder((o) => ({ ...o, card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123' } })),
      status: 422,
      code: 'card_data_rejected',
      message: /"card"/,
    },
    {
      category: 'card data',
      name: 'cvc in a line item',
      send: () => postOrder((o) => ({ ...o, items: [{ ...o.items[0], cvc: '123' }, o.items[1]] })),
      status: 422,
      code: 'card_data_rejected',
      message: /items\.0\.cvc/,
    },
    {
      category: 'card data',
      name: 'PAN in the customer',
      send: () => postOrder((o) => ({ ...o, customer: { ...o.customer, PAN: '4000056655665556' } })),
      status: 422,
      code: 'card_data_rejected',
      message: /customer\.PAN/,
    },
    {
      category: 'card data',
      name: 'card_expiry in the address',
      send: () =>
        postOrder((o) => ({
          ...o,
          customer: { ...o.customer, address: { ...o.customer.address, card_expiry: '12/30' } },
        })),
      status: 422,
      code: 'card_data_rejected',
      message: /customer\.address\.card_expiry/,
    },
    {
      category: 'card data',
      name: 'cvv on an account',
      send: () =>
        send('PUT', `/v1/accounts/${uniqueId('acct')}`, {
          headers: json,
          body: JSON.stringify({
            keap: { apiKey: 'sandbox-api-key' },
            salesSyncEnabled: true,
            paymentMethodType: 'Stripe',
            cvv: '1',
          }),
        }),
      status: 422,
      code: 'card_data_rejected',
      message: /cvv/,
    },
    {
      category: 'card data',
      name: '"company" is not card data (it only contains "pan"): the strict schema answers',
      send: () => postOrder((o) => ({ ...o, customer: { ...o.customer, company: 'Acme' } })),
      status: 400,
      code: 'validation_failed',
      message: /customer: Unrecognized key: "company"/,
    },
    {
      category: 'card data',
      name: 'a 16-digit number as a first name (a name, not a card field: accepted)',
      send: () => postOrder((o) => ({ ...o, customer: { ...o.customer, firstName: '4242424242424242' } })),
      status: 202,
      check: (r) => assert.equal(r.body.duplicate, false),
    },

    // ---- Paths
    {
      category: 'paths',
      name: '".." as the account id',
      send: () => send('GET', '/v1/accounts/..'),
      status: 400,
      code: 'validation_failed',
      message: /accountId: must be 1-100 characters/,
    },
    {
      category: 'paths',
      name: 'encoded slashes climbing out (..%2F..%2Fetc%2Fpasswd)',
      send: () => send('GET', '/v1/accounts/..%2F..%2Fetc%2Fpasswd'),
      status: 400,
      code: 'validation_failed',
      message: /accountId/,
    },
    {
      category: 'paths',
      name: 'an encoded slash inside the order id',
      send: () => send('GET', `/v1/accounts/${accountId}/orders/a%2Fb`),
      status: 400,
      code: 'validation_failed',
      message: /orderId/,
    },
    {
      category: 'paths',
      name: '%2e%2e segments',
      send: () => send('GET', '/v1/accounts/%2e%2e/orders/%2e%2e'),
      status: 400,
      code: 'validation_failed',
      message: /accountId.*orderId/,
    },
    {
      category: 'paths',
      name: 'a NUL byte (%00) in the account id',
      send: () => send('GET', '/v1/accounts/acct%00'),
      status: 400,
      code: 'validation_failed',
      message: /accountId/,
    },
    {
      category: 'paths',
      name: 'CR LF in the id (header injection)',
      send: () => send('GET', '/v1/accounts/a%0D%0ASet-Cookie:%20x=1'),
      status: 400,
      code: 'validation_failed',
      check: (r) => assert.equal(r.headers['set-cookie'], undefined),
    },
    {
      category: 'paths',
      name: 'unicode (right-to-left override, emoji) in the id',
      send: () => send('GET', '/v1/accounts/acct%E2%80%AE%F0%9F%92%B3'),
      status: 400,
      code: 'validation_failed',
      message: /accountId/,
    },
    {
      category: 'paths',
      name: 'a malformed percent-encoding (%E0%A4%A)',
      send: () => send('GET', '/v1/accounts/%E0%A4%A'),
      status: 400,
      code: 'invalid_path',
    },
    {
      category: 'paths',
      name: 'a lone "%" in the order id',
      send: () => send('GET', `/v1/accounts/${accountId}/orders/100%`),
      status: 400,
      code: 'invalid_path',
    },
    {
      category: 'paths',
      name: 'an id of 101 characters',
      send: () => send('GET', `/v1/accounts/${'a'.repeat(101)}`),
      status: 400,
      code: 'validation_failed',
      message: /accountId: must be 1-100 characters/,
    },
    {
      category: 'paths',
      name: 'an id of 8 000 characters',
      send: () => send('GET', `/v1/accounts/${accountId}/orders/${'o'.repeat(8_000)}`),
      status: 400,
      code: 'validation_failed',
      message: /orderId/,
    },
    {
      category: 'paths',
      name: 'a URL over the server header limit (20 000 characters)',
      send: () => send('GET', `/v1/accounts/${'a'.repeat(20_000)}`),
      status: 431,
      message: /Request Header Fields Too Large/,
    },
    {
      category: 'paths',
      name: 'an unknown route',
      send: () => send('GET', '/v1/admin'),
      status: 404,
      code: 'not_found',
      message: /No route for GET \/v1\/admin/,
    },
    {
      category: 'paths',
      name: 'an unknown route without a token (auth comes first under /v1)',
      send: () => send('GET', '/v1/admin', { authorization: null }),
      status: 401,
      code: 'unauthorized',
    },
    {
      // Express routes by method and path: a known path with another method is a 404, as documented.
      category: 'paths',
      name: 'a wrong method (DELETE an account)',
      send: () => send('DELETE', `/v1/accounts/${accountId}`),
      status: 404,
      code: 'not_found',
      message: /No route for DELETE/,
    },
    {
      category: 'paths',
      name: 'an unknown account',
      send: () => send('GET', '/v1/accounts/nobody-here/orders/ord-1'),
      status: 404,
      code: 'account_not_found',
    },

    // ---- Stripe webhooks
    {
      category: 'webhooks',
      name: 'no Stripe-Signature header',
      send: () => webhook(paidEvent({ accountId, orderId: 'o1' })),
      status: 400,
      code: 'invalid_signature',
      message: /header is missing/,
    },
    {
      category: 'webhooks',
      name: 'signed with a wrong secret',
      send: () => {
        const body = paidEvent({ accountId, orderId: 'o1' });
        return webhook(body, sign(body, 'whsec_wrong_0123456789'));
      },
      status: 400,
      code: 'invalid_signature',
    },
    {
      category: 'webhooks',
      name: 'a stale signature (301 s old)',
      send: () => {
        const body = paidEvent({ accountId, orderId: 'o1' });
        return webhook(body, sign(body, STRIPE_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 301));
      },
      status: 400,
      code: 'invalid_signature',
      message: /too old/,
    },
    {
      category: 'webhooks',
      name: 'a body changed after signing',
      send: () => {
        const body = paidEvent({ accountId, orderId: 'o1' });
        return webhook(body.replace('"amount_paid":100', '"amount_paid":1'), sign(body));
      },
      status: 400,
      code: 'invalid_signature',
    },
    {
      category: 'webhooks',
      name: 'a garbage Stripe-Signature header',
      send: () => webhook(paidEvent({ accountId, orderId: 'o1' }), 't=abc,v1=,v0=%00'),
      status: 400,
      code: 'invalid_signature',
    },
    {
      category: 'webhooks',
      name: 'a signed body that is not JSON',
      send: () => webhook('not json {', sign('not json {')),
      status: 400,
      code: 'invalid_payload',
    },
    {
      category: 'webhooks',
      name: 'a signed JSON null (not an event: acknowledged and ignored)',
      send: () => webhook('null', sign('null')),
      status: 200,
      check: (r) => assert.match(r.body.ignored, /not a Stripe event/),
    },
    {
      category: 'webhooks',
      name: 'an unknown account',
      send: () => {
        const body = paidEvent({ accountId: 'nobody-here', orderId: 'o1' });
        return webhook(body, sign(body));
      },
      status: 200,
      check: (r) => assert.match(r.body.ignored, /account nobody-here does not exist/),
    },
    {
      category: 'webhooks',
      name: 'an oversized webhook (over 1 MiB)',
      send: () => {
        const body = JSON.stringify({ pad: 'x'.repeat(1_100_000) });
        return webhook(body, sign(body));
      },
      status: 413,
      code: 'body_too_large',
    },
    {
      category: 'webhooks',
      name: 'a GET on the webhook path (only POST is Stripe; the rest needs the token)',
      send: () => send('GET', '/v1/webhooks/stripe', { authorization: null }),
      status: 401,
      code: 'unauthorized',
    },
    {
      // The same signed delivery twice within the tolerance is a valid redelivery: both are
      // accepted, and the order workflow records the payment once (checked after the table).
      category: 'webhooks',
      name: 'a replayed signed delivery (accepted again, deduplicated downstream)',
      async send() {
        const body = paidEvent({ accountId, orderId: replayPlan.orderId }, replayPlan.invoiceId, 10_000);
        const signature = sign(body);
        const first = await webhook(body, signature);
        assert.equal(first.status, 200, first.text);
        return webhook(body, signature);
      },
      status: 200,
      check: (r) => assert.equal(r.body.delivered, true),
    },
  ];

  describe(`${rows.length} rows`, () => {
    before(async function () {
      // The replayed webhook pays the second installment of a real plan order.
      this.timeout(60_000);
      replayPlan.invoiceId = `in_${replayPlan.orderId}_2`;
      const res = await stack.call('POST', ordersPath(), {
        orderId: replayPlan.orderId,
        customer: { email: `${replayPlan.orderId}@example.com` },
        items: [{ sku: 'COURSE-3', name: 'Course in 3 payments', quantity: 1, unitAmount: 30_000 }],
        currency: 'USD',
        plan: { type: 'payment_plan', installments: 3, installmentAmount: 10_000, interval: 'month', intervalCount: 1 },
        payment: { id: `in_${replayPlan.orderId}_1`, amount: 10_000, paidAt: new Date().toISOString() },
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      await waitForStatus(stack, accountId, replayPlan.orderId, 'AwaitingInstallment');
    });

    for (const row of rows) {
      it(`${row.category}: ${row.name} → ${row.status}${row.code ? ` ${row.code}` : ''}`, async () => {
        const reply = await row.send();
        const shown = `${reply.status} ${reply.text.slice(0, 500)}`;
        assert.ok(reply.status < 500, `a 5xx for bad input: ${shown}`);
        assert.equal(reply.status, row.status, shown);
        if (row.code) assert.equal(reply.body?.error?.code, row.code, shown);
        if (row.message) assert.match(reply.body?.error?.message ?? reply.text, row.message, shown);
        if (reply.status >= 400 && row.code)
          assert.match(String(reply.headers['content-type']), /^application\/json/, 'errors are JSON');
        await row.check?.(reply);
      });
    }

    it('records the replayed webhook once', async () => {
      const lifecycle = await waitFor('the second installment', async () => {
        const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/${replayPlan.orderId}`);
        return res.body?.installments?.paid === 2 ? res.body : undefined;
      });
      await new Promise((r) => setTimeout(r, 300));
      const after = await stack.call('GET', `/v1/accounts/${accountId}/orders/${replayPlan.orderId}`);
      assert.equal(after.body.installments.paid, 2);
      assert.deepEqual(after.body.payments.map((p: { id: string }) => p.id).sort(), [
        `in_${replayPlan.orderId}_1`,
        replayPlan.invoiceId,
      ]);
      assert.equal(lifecycle.payments.length, 2);
    });

    it('still answers /healthz after the table, and logged no 5xx', async () => {
      const res = await send('GET', '/healthz', { authorization: null });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { status: 'ok' });
      assert.ok(!stack.logs().slice(logOffset).includes('"msg":"request failed"'), 'no request failed with a 500');
    });
  });
});
