/** Builders and helpers for end-to-end tests. */
import { randomUUID } from 'node:crypto';
import type { SandboxExchange } from '../../keap-sandbox';
import { getStack } from './stack';
import type { Stack } from './stack';

export const SANDBOX_KEY = 'sandbox-api-key';

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function oneTimeOrder(overrides: { orderId?: string; email?: string; sku?: string } = {}) {
  const orderId = overrides.orderId ?? uniqueId('ord');
  return {
    orderId,
    customer: {
      email: overrides.email ?? `${orderId}@example.com`,
      firstName: 'Ada',
      lastName: 'Lovelace',
      phone: '+15550001111',
      address: {
        line1: '1 Analytical St',
        city: 'Springfield',
        region: 'Illinois',
        postalCode: '62701',
        country: 'US',
      },
    },
    items: [
      { sku: overrides.sku ?? 'BOOK-1', name: 'The Book', quantity: 2, unitAmount: 1999 },
      { sku: 'SHIP-STD', name: 'Sticker pack', quantity: 1, unitAmount: 902 },
    ],
    currency: 'USD',
    plan: { type: 'one_time' as const },
    payment: { id: `pi_${orderId}`, amount: 4900, paidAt: '2026-11-21T10:00:00Z' },
  };
}

export async function createAccount(
  stack: Stack,
  accountId = uniqueId('acct'),
  overrides: Record<string, unknown> = {},
) {
  const res = await stack.call('PUT', `/v1/accounts/${accountId}`, {
    keap: { apiKey: SANDBOX_KEY },
    salesSyncEnabled: true,
    paymentMethodType: 'Stripe',
    ...overrides,
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`account PUT failed: ${res.status} ${JSON.stringify(res.body)}`);
  return accountId;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`Timed out waiting for ${what}${reason}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitForStatus(
  stack: Stack,
  accountId: string,
  orderId: string,
  status: string,
  timeoutMs?: number,
) {
  return waitFor(
    `order ${orderId} to be ${status}`,
    async () => {
      const res = await stack.call('GET', `/v1/accounts/${accountId}/orders/${orderId}`);
      return res.status === 200 && res.body?.status === status ? res.body : undefined;
    },
    timeoutMs,
  );
}

/** Reads the sandbox through its own Keap REST API, as a merchant's other tools (or a 3PL) would. */
export async function keapGet(stack: Stack, path: string): Promise<any> {
  const res = await fetch(`${stack.sandbox.url}/rest/v2${path}`, { headers: { 'X-Keap-API-Key': SANDBOX_KEY } });
  if (!res.ok) throw new Error(`Keap GET ${path} → ${res.status} ${await res.text()}`);
  return res.json();
}

export async function keapOrdersForEmail(stack: Stack, email: string): Promise<any[]> {
  const contacts = (await keapGet(stack, `/contacts?filter=${encodeURIComponent(`email==${email}`)}`)).contacts ?? [];
  const orders: any[] = [];
  for (const contact of contacts) {
    const res = await keapGet(stack, `/orders?filter=${encodeURIComponent(`contact_id==${contact.id}`)}`);
    orders.push(...(res.orders ?? []));
  }
  return orders;
}

/**
 * A workflow's history as the server stores it (nothing decoded), as searchable text: payload bytes
 * (which fetchHistory gives as base64 strings, or as bytes) are rendered as text, so a plaintext
 * value would show; searching the JSON alone would never find one. `withSearchAttributes: false`
 * leaves out the search attributes.
 */
export async function storedHistoryText(
  stack: Stack,
  workflowId: string,
  withSearchAttributes = true,
): Promise<string> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (key, value: unknown) => {
    if (!withSearchAttributes && (key === 'searchAttributes' || key === 'indexedFields')) return undefined;
    if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
    if (key === 'data' && typeof value === 'string') return Buffer.from(value, 'base64').toString('latin1');
    return value;
  });
}

/** Every request the shared stack's Keap sandbox serves while the calling suite runs (mocha hooks). */
export function recordKeapExchanges(): SandboxExchange[] {
  const exchanges: SandboxExchange[] = [];
  let stop: (() => void) | undefined;
  before(async function () {
    this.timeout(120_000);
    stop = (await getStack()).sandbox.onExchange((ex) => exchanges.push(ex));
  });
  after(() => stop?.());
  return exchanges;
}

/**
 * One order's Keap operations on the shared sandbox: those of `exchanges` from index `from` whose
 * path, query or body names one of `marks` (its email, order id, payment id, Keap order path).
 */
export function keapCallsMentioning(exchanges: readonly SandboxExchange[], from: number, marks: string[]): string[] {
  return exchanges
    .slice(from)
    .filter((ex) => {
      const text = JSON.stringify([ex.path, ex.query, ex.requestBody]);
      return marks.some((mark) => text.includes(mark));
    })
    .map((ex) => ex.operationId ?? `(${ex.status})`);
}
