/**
 * Customer data is encrypted in every payload of Temporal history (AES-256-GCM payload codec): the
 * history the server holds shows no plaintext email, phone or address, except the email search
 * attribute, and none at all when that attribute is switched off. Operators still read lifecycles
 * through the codec endpoint the Temporal UI calls.
 */
import { strict as assert } from 'node:assert';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, parsePayloadKeys } from '../platform/payload-codec';
import { startApi } from '../api/server';
import { createLogger } from '../platform/logger';
import { API_TOKEN, getStack, PAYLOAD_KEYS, TASK_QUEUE } from './support/stack';
import type { Stack } from './support/stack';
import { createAccount, oneTimeOrder, storedHistoryText, waitFor, waitForStatus } from './support/fixtures';

const storedHistory = (stack: Stack, workflowId: string, withSearchAttributes = false) =>
  storedHistoryText(stack, workflowId, withSearchAttributes);

describe('payload encryption', function () {
  this.timeout(60_000);
  let stack: Stack;
  let accountId: string;

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    accountId = await createAccount(stack);
  });

  it('keeps every payload of an order encrypted: no plaintext PII outside the email search attribute', async () => {
    const order = oneTimeOrder();
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    await waitForStatus(stack, accountId, order.orderId, 'Paid');
    const workflowId = `order:${accountId}:${order.orderId}`;
    const stored = await storedHistory(stack, workflowId);
    for (const pii of [order.customer.email, order.customer.phone, order.customer.address.line1, 'Lovelace']) {
      assert.ok(!stored.includes(pii), `"${pii}" appears in plain text in the stored history`);
    }
    assert.ok(
      stored.includes(Buffer.from(ENCRYPTED_ENCODING).toString('base64')) || stored.includes(ENCRYPTED_ENCODING),
    );
    const withAttributes = await storedHistory(stack, workflowId, true);
    assert.ok(withAttributes.includes(order.customer.email), 'the email search attribute is there for operators');
    // The client decodes it all the same.
    const lifecycle = await waitForStatus(stack, accountId, order.orderId, 'Paid');
    assert.equal(lifecycle.orderId, order.orderId);
  });

  it('serves the Temporal UI a codec endpoint that decrypts with the deployment keys', async () => {
    const codec = new AesGcmPayloadCodec(PAYLOAD_KEYS);
    const [encrypted] = await codec.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"email":"x@example.com"}') },
    ]);
    const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
    const body = {
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(encrypted!.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
          data: b64(encrypted!.data),
        },
      ],
    };
    const unauthenticated = await fetch(`${stack.api.url}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(unauthenticated.status, 401, 'decrypting needs the API token outside development');
    const res = await fetch(`${stack.api.url}/codec/decode`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'http://127.0.0.1:8233',
        authorization: `Bearer ${API_TOKEN}`,
      },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://127.0.0.1:8233');
    const decoded = (await res.json()) as { payloads: { data: string }[] };
    assert.equal(Buffer.from(decoded.payloads[0]!.data, 'base64').toString(), '{"email":"x@example.com"}');

    // Encrypted with a key this deployment does not have: refused, not a 500.
    const [foreign] = await new AesGcmPayloadCodec(
      parsePayloadKeys(`other:${Buffer.alloc(32, 9).toString('base64')}`),
    ).encode([{ metadata: {}, data: Buffer.from('x') }]);
    const refused = await fetch(`${stack.api.url}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
      body: JSON.stringify({
        payloads: [
          {
            metadata: Object.fromEntries(Object.entries(foreign!.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
            data: b64(foreign!.data),
          },
        ],
      }),
    });
    assert.equal(refused.status, 400);
  });

  it('with the email search attribute switched off, the email appears nowhere in plain text', async () => {
    const api = await startApi({
      config: {
        api: {
          host: '127.0.0.1',
          port: 0,
          token: 'no-email-token-0123456789',
          tokenIsDevDefault: false,
          maxBodyBytes: 65_536,
        },
        temporal: { taskQueue: TASK_QUEUE },
        stripe: { webhookSecretIsDevDefault: false, toleranceSeconds: 300 },
        keap: { timeoutMs: 5_000 },
      },
      client: stack.client,
      db: stack.db,
      accounts: stack.accounts,
      logger: createLogger('silent'),
      emailSearchAttribute: false,
    });
    try {
      const order = oneTimeOrder();
      const res = await fetch(`${api.url}/v1/accounts/${accountId}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer no-email-token-0123456789' },
        body: JSON.stringify(order),
      });
      assert.equal(res.status, 202);
      await waitForStatus(stack, accountId, order.orderId, 'Paid');
      const everything = await waitFor('the final history', async () => {
        const text = await storedHistory(stack, `order:${accountId}:${order.orderId}`, true);
        return text.includes('WORKFLOW_EXECUTION_COMPLETED') ? text : undefined;
      });
      assert.ok(!everything.includes(order.customer.email), 'the email appears in the stored history');
    } finally {
      await api.close();
    }
  });
});
