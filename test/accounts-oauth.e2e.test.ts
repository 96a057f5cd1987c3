/**
 * Keap OAuth connections end to end: the API exchanges a code at the sandbox's token endpoint; the
 * account workflow refreshes ahead of expiry and on 401, one refresh at a time (Keap rotates refresh
 * tokens); a refused refresh parks orders until the merchant reconnects; secrets never show in API
 * responses, logs or Temporal history.
 */
import { strict as assert } from 'node:assert';
import { AccountClient } from '../accounts/client';
import { accountWorkflowId } from '../accounts/workflow/definitions';
import { getStack, OAUTH_REDIRECT_URI, sandboxOAuth, TASK_QUEUE } from './support/stack';
import type { Stack } from './support/stack';
import {
  keapOrdersForEmail,
  oneTimeOrder,
  storedHistoryText,
  uniqueId,
  waitFor,
  waitForStatus,
} from './support/fixtures';

describe('Keap OAuth connections', function () {
  this.timeout(90_000);
  let stack: Stack;
  let accountWorkflows: AccountClient;

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    accountWorkflows = new AccountClient(stack.client, TASK_QUEUE);
  });

  const settings = { salesSyncEnabled: true, paymentMethodType: 'Stripe' };

  async function connectWithCode(accountId: string) {
    const code = stack.sandbox.oauth.issueCode({ redirectUri: OAUTH_REDIRECT_URI });
    return stack.call('PUT', `/v1/accounts/${accountId}`, { keap: { oauth: { code } }, ...settings });
  }

  async function stored(accountId: string) {
    const keap = (await stack.accounts.get(accountId))?.keap;
    assert.equal(keap?.type, 'oauth');
    return keap;
  }

  /** A token pair straight from the sandbox's token endpoint, to import with a chosen lifetime. */
  async function tokenPair() {
    const { tokenUrl, clientId, clientSecret } = sandboxOAuth(stack.sandbox);
    const code = stack.sandbox.oauth.issueCode();
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: OAUTH_REDIRECT_URI,
        client_id: clientId,
        client_secret: clientSecret,
      }),
    });
    const body = (await res.json()) as { access_token: string; refresh_token: string };
    return { accessToken: body.access_token, refreshToken: body.refresh_token };
  }

  it('connects with an authorization code, shows no token, and writes orders with the bearer token', async () => {
    const accountId = uniqueId('oauth');
    const res = await connectWithCode(accountId);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.keap.type, 'oauth');
    assert.equal(res.body.connection.status, 'connected');
    const keap = await stored(accountId);
    const text = JSON.stringify(res.body);
    assert.ok(keap && !text.includes(keap.accessToken) && !text.includes(keap.refreshToken));

    const order = oneTimeOrder();
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    await waitForStatus(stack, accountId, order.orderId, 'Paid');
    assert.equal((await keapOrdersForEmail(stack, order.customer.email)).length, 1);

    const reused = await stack.call('PUT', `/v1/accounts/${accountId}`, {
      keap: { oauth: { code: 'used-or-unknown-code' } },
      ...settings,
    });
    assert.equal(reused.status, 422);
    assert.equal(reused.body.error.code, 'invalid_grant');
  });

  it('refreshes ahead of expiry, in the account workflow, rotating the refresh token', async () => {
    const accountId = uniqueId('oauth');
    const pair = await tokenPair();
    // Our record says the token dies in 8 s: the account workflow refreshes a quarter of that ahead.
    assert.equal(
      (
        await stack.call('PUT', `/v1/accounts/${accountId}`, {
          keap: { oauth: { ...pair, expiresIn: 8 } },
          ...settings,
        })
      ).status,
      201,
    );
    const refreshed = await waitFor(
      'a scheduled refresh',
      async () => {
        const keap = await stored(accountId);
        return keap && keap.generation >= 2 ? keap : undefined;
      },
      40_000,
    );
    assert.notEqual(refreshed.refreshToken, pair.refreshToken, 'rotated');
    const connection = await accountWorkflows.connection(accountId);
    assert.equal(connection.status, 'connected');
    assert.ok(connection.refreshes >= 1);
    assert.ok(Date.parse(refreshed.expiresAt) - Date.now() > 3_600_000, 'a full-length token now');
  });

  it('refreshes once on 401, however many orders hit it at once, and never reuses a rotated token', async () => {
    const accountId = uniqueId('oauth');
    await connectWithCode(accountId);
    const before = stack.sandbox.stats().oauth;
    const generation = (await stored(accountId)).generation;
    stack.sandbox.oauth.expireAccessTokens();

    const orders = [1, 2, 3, 4, 5].map(() => oneTimeOrder());
    await Promise.all(orders.map((o) => stack.call('POST', `/v1/accounts/${accountId}/orders`, o)));
    for (const o of orders) await waitForStatus(stack, accountId, o.orderId, 'Paid');

    // Two more refresh requests racing with a stale generation change nothing either.
    const raced = await Promise.all([1, 2].map(() => accountWorkflows.requestRefresh(accountId, generation)));
    assert.ok(raced.every((r) => r.status === 'connected' && !r.refreshed));

    const after = stack.sandbox.stats().oauth;
    assert.equal(after.invalidGrants - before.invalidGrants, 0, 'no rotated refresh token was ever reused');
    assert.ok(after.refreshes - before.refreshes >= 1);
    assert.equal((await stored(accountId)).generation, generation + (after.refreshes - before.refreshes));
    for (const o of orders) assert.equal((await keapOrdersForEmail(stack, o.customer.email)).length, 1);
  });

  it('parks orders while Keap refuses the refresh (needs reconnect), then finishes them after a reconnect', async () => {
    const accountId = uniqueId('oauth');
    await connectWithCode(accountId);
    stack.sandbox.oauth.revokeAll();
    stack.sandbox.oauth.expireAccessTokens();

    const order = oneTimeOrder();
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    const waiting = await waitForStatus(stack, accountId, order.orderId, 'WaitingForReconnect');
    assert.match(waiting.attention.error, /reconnect/);
    const account = await stack.call('GET', `/v1/accounts/${accountId}`);
    assert.equal(account.body.connection.status, 'needs_reconnect');
    assert.match(account.body.connection.reason, /refused the refresh token/);
    assert.equal((await keapOrdersForEmail(stack, order.customer.email)).length, 0);
    const visible = await waitFor('the waiting order in visibility', async () => {
      for await (const wf of stack.client.workflow.list({
        query: `SalesSyncAccountId = "${accountId}" AND SalesSyncStatus = "WaitingForReconnect"`,
      }))
        return wf;
      return undefined;
    });
    assert.equal(visible.workflowId, waiting.workflowId);

    assert.equal((await connectWithCode(accountId)).status, 200);
    await waitForStatus(stack, accountId, order.orderId, 'Paid');
    const orders = await keapOrdersForEmail(stack, order.customer.email);
    assert.equal(orders.length, 1, 'nothing lost, nothing doubled');
    assert.equal(orders[0].status, 'PAID');
  });

  it('makes orders wait after a disconnect, and resumes them when an API key connects', async () => {
    const accountId = uniqueId('oauth');
    await connectWithCode(accountId);
    const disconnected = await stack.call('DELETE', `/v1/accounts/${accountId}/connection`);
    assert.equal(disconnected.status, 200);
    assert.equal(disconnected.body.connection.status, 'disconnected');
    assert.equal(disconnected.body.keap, undefined);
    const order = oneTimeOrder();
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    await waitForStatus(stack, accountId, order.orderId, 'WaitingForReconnect');
    await stack.call('PUT', `/v1/accounts/${accountId}`, { keap: { apiKey: stack.sandbox.apiKey }, ...settings });
    await waitForStatus(stack, accountId, order.orderId, 'Paid');
  });

  it('turns Sales Sync off and on with PATCH: off acknowledges orders without writing them', async () => {
    const accountId = uniqueId('toggle');
    await stack.call('PUT', `/v1/accounts/${accountId}`, { keap: { apiKey: stack.sandbox.apiKey }, ...settings });
    const off = await stack.call('PATCH', `/v1/accounts/${accountId}`, { salesSyncEnabled: false });
    assert.equal(off.status, 200);
    assert.equal(off.body.salesSyncEnabled, false);
    const skipped = oneTimeOrder();
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, skipped);
    await waitForStatus(stack, accountId, skipped.orderId, 'SyncDisabled');
    assert.equal(
      (await stack.call('PATCH', `/v1/accounts/${accountId}`, { salesSyncEnabled: true })).body.salesSyncEnabled,
      true,
    );
    const written = oneTimeOrder();
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, written);
    await waitForStatus(stack, accountId, written.orderId, 'Paid');
    assert.equal((await keapOrdersForEmail(stack, skipped.customer.email)).length, 0);
    assert.equal((await keapOrdersForEmail(stack, written.customer.email)).length, 1);
    assert.equal((await stack.call('PATCH', `/v1/accounts/${accountId}`, {})).status, 400);
    assert.equal(
      (await stack.call('PATCH', `/v1/accounts/${accountId}`, { keap: { apiKey: 'x'.repeat(20) } })).status,
      400,
    );
  });

  it('keeps every secret out of API responses, logs and Temporal history', async () => {
    const accountId = uniqueId('secrets');
    await connectWithCode(accountId);
    stack.sandbox.oauth.expireAccessTokens();
    const order = oneTimeOrder();
    await stack.call('POST', `/v1/accounts/${accountId}/orders`, order);
    await waitForStatus(stack, accountId, order.orderId, 'Paid');
    const keap = await stored(accountId);

    const secrets = [
      keap.accessToken,
      keap.refreshToken,
      sandboxOAuth(stack.sandbox).clientSecret,
      stack.sandbox.apiKey,
    ];
    const histories = await Promise.all(
      [accountWorkflowId(accountId), `order:${accountId}:${order.orderId}`].map((id) => storedHistoryText(stack, id)),
    );
    const account = JSON.stringify((await stack.call('GET', `/v1/accounts/${accountId}`)).body);
    for (const secret of secrets) {
      for (const [where, text] of [
        ['history', histories.join('\n')],
        ['logs', stack.logs()],
        ['API response', account],
      ] as const) {
        assert.ok(!text.includes(secret), `a secret appears in the ${where}`);
      }
    }
    assert.ok(histories[0]!.includes('refreshKeapTokens'), 'the account workflow did refresh');
  });
});
