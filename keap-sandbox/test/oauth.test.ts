/**
 * The Keap sandbox's OAuth2 token endpoint (`POST /token`, keap-sandbox/oauth.ts): authorization-code exchange,
 * single-use codes, rotating refresh tokens (concurrent refreshes: one winner), access-token expiry and
 * revocation on /crm, client authentication, per-connection rate limits, persistence and the admin API.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KeapSandbox, type OAuthClient, STATE_FORMAT_VERSION, startKeapSandbox } from '../index';

const CLIENT: OAuthClient = { clientId: 'sandbox-client', clientSecret: 'sandbox-client-secret' };
const OTHER: OAuthClient = { clientId: 'other-app', clientSecret: 'other-secret' };
const REDIRECT = 'https://sales-sync.example.com/oauth/keap/callback';

interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
}

interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

const basic = (c: OAuthClient): string => `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;

async function tokenRequest(
  sandbox: KeapSandbox,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(sandbox.oauth.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** The authorization_code grant, client credentials in the body (as Keap's docs show it). */
function exchange(sandbox: KeapSandbox, code: string, client = CLIENT, redirectUri = REDIRECT): Promise<Reply> {
  return tokenRequest(sandbox, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    client_id: client.clientId,
    client_secret: client.clientSecret,
  });
}

/** The refresh_token grant, client credentials as HTTP Basic (as Keap's docs show it). */
function refresh(sandbox: KeapSandbox, refreshToken: string, client = CLIENT): Promise<Reply> {
  return tokenRequest(
    sandbox,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    { Authorization: basic(client) },
  );
}

async function tokens(reply: Promise<Reply>): Promise<Tokens> {
  const res = await reply;
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as unknown as Tokens;
}

async function connect(sandbox: KeapSandbox, client = CLIENT): Promise<Tokens> {
  return tokens(exchange(sandbox, sandbox.oauth.issueCode({ clientId: client.clientId }), client));
}

/** A Keap call with a bearer token: status and body. */
async function crm(sandbox: KeapSandbox, accessToken: string): Promise<Reply> {
  const res = await fetch(`${sandbox.url}/rest/v2/contacts`, { headers: { Authorization: `Bearer ${accessToken}` } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

function assertOAuthError(res: Reply, status: number, error: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error, error);
  assert.equal(typeof res.body.error_description, 'string');
}

function assertUnauthorized(res: Reply, message: RegExp): void {
  assert.equal(res.status, 401);
  assert.equal(res.body.code, 401);
  assert.equal(res.body.status, 'UNAUTHENTICATED');
  assert.match(String(res.body.message), message);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Keap sandbox OAuth2 token endpoint', function () {
  this.timeout(5_000);
  let sandbox: KeapSandbox;

  before(async () => {
    sandbox = await startKeapSandbox({ oauthClients: [CLIENT, OTHER], throttle: '3/min' });
  });
  after(() => sandbox.close());
  beforeEach(() => {
    sandbox.oauth.revokeAll();
    sandbox.reset();
  });

  it('exchanges an authorization code for Keap-shaped tokens that work on /crm', async () => {
    assert.match(sandbox.oauth.tokenUrl, /^http:\/\/127\.0\.0\.1:\d+\/token$/);
    const res = await exchange(sandbox, sandbox.oauth.issueCode({ redirectUri: REDIRECT }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const t = res.body as unknown as Tokens;
    assert.deepEqual(Object.keys(t).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    assert.equal(t.expires_in, 86_400);
    assert.equal(t.token_type, 'bearer');
    assert.equal(t.scope, 'full');
    assert.match(t.access_token, /^[\w-]{40,}$/);
    assert.notEqual(t.access_token, t.refresh_token);

    assert.equal((await crm(sandbox, t.access_token)).status, 200);
    // The token endpoint lives at the root, not under the /crm API base.
    assert.equal((await fetch(`${sandbox.url}/token`, { method: 'POST' })).status, 401);
    assert.equal(sandbox.stats().oauth.codeExchanges, 1);
  });

  it('accepts each code once, for its own client and redirect_uri', async () => {
    const code = sandbox.oauth.issueCode();
    await tokens(exchange(sandbox, code));
    assertOAuthError(await exchange(sandbox, code), 400, 'invalid_grant');
    assertOAuthError(await exchange(sandbox, 'no-such-code'), 400, 'invalid_grant');

    const bound = sandbox.oauth.issueCode({ redirectUri: REDIRECT });
    assertOAuthError(await exchange(sandbox, bound, CLIENT, 'https://evil.example.com/cb'), 400, 'invalid_grant');
    assertOAuthError(await exchange(sandbox, bound, OTHER), 400, 'invalid_grant');
    await tokens(exchange(sandbox, bound)); // a rejected attempt does not burn the code
    assert.equal(sandbox.stats().oauth.invalidGrants, 4);

    const other = sandbox.oauth.issueCode({ clientId: OTHER.clientId });
    await tokens(exchange(sandbox, other, OTHER));
    assert.throws(() => sandbox.oauth.issueCode({ clientId: 'nope' }), /Unknown OAuth client/);
  });

  it('answers invalid_request, unsupported_grant_type and invalid_client like an OAuth2 server', async () => {
    const creds = { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
    assertOAuthError(await tokenRequest(sandbox, { ...creds }), 400, 'invalid_request');
    assertOAuthError(await tokenRequest(sandbox, { ...creds, grant_type: 'password' }), 400, 'unsupported_grant_type');
    assertOAuthError(
      await tokenRequest(sandbox, { ...creds, grant_type: 'authorization_code', redirect_uri: REDIRECT }),
      400,
      'invalid_request',
    );
    assertOAuthError(
      await tokenRequest(sandbox, { grant_type: 'refresh_token' }, { Authorization: basic(CLIENT) }),
      400,
      'invalid_request',
    );
    const json = await fetch(sandbox.oauth.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'x' }),
    });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');

    const t = await connect(sandbox);
    const wrongSecret = await refresh(sandbox, t.refresh_token, { ...CLIENT, clientSecret: 'wrong' });
    assertOAuthError(wrongSecret, 401, 'invalid_client');
    assert.match(wrongSecret.headers.get('www-authenticate') ?? '', /^Basic /);
    assertOAuthError(
      await refresh(sandbox, t.refresh_token, { clientId: 'ghost', clientSecret: 'x' }),
      401,
      'invalid_client',
    );
    assertOAuthError(
      await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: t.refresh_token }),
      401,
      'invalid_client',
    );
    // Another app's valid credentials cannot use this connection's refresh token.
    assertOAuthError(await refresh(sandbox, t.refresh_token, OTHER), 400, 'invalid_grant');
    // None of that consumed the refresh token.
    await tokens(refresh(sandbox, t.refresh_token));
  });

  it('rotates the refresh token: the one used is revoked, the new pair works', async () => {
    const first = await connect(sandbox);
    const second = await tokens(refresh(sandbox, first.refresh_token));
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.notEqual(second.access_token, first.access_token);
    assertOAuthError(await refresh(sandbox, first.refresh_token), 400, 'invalid_grant');
    assert.equal((await crm(sandbox, second.access_token)).status, 200);
    // The previous access token is not revoked by the refresh: it lives until it expires.
    assert.equal((await crm(sandbox, first.access_token)).status, 200);

    // Client credentials in the body are accepted too.
    const third = await tokens(
      tokenRequest(sandbox, {
        grant_type: 'refresh_token',
        refresh_token: second.refresh_token,
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      }),
    );
    assertOAuthError(await refresh(sandbox, second.refresh_token), 400, 'invalid_grant');
    await tokens(refresh(sandbox, third.refresh_token));
    assert.deepEqual(sandbox.stats().oauth, {
      codeExchanges: 1,
      refreshes: 3,
      invalidGrants: 2,
      rejectedAccessTokens: 0,
    });
  });

  it('lets exactly one of several concurrent refreshes with the same token win', async () => {
    const t = await connect(sandbox);
    const replies = await Promise.all(Array.from({ length: 5 }, () => refresh(sandbox, t.refresh_token)));
    const winners = replies.filter((r) => r.status === 200);
    assert.equal(winners.length, 1);
    for (const r of replies.filter((x) => x.status !== 200)) assertOAuthError(r, 400, 'invalid_grant');
    const winner = winners[0]?.body as unknown as Tokens;
    await tokens(refresh(sandbox, winner.refresh_token));
  });

  it('rejects unknown, expired and revoked access tokens on /crm with Keap 401s', async () => {
    assertUnauthorized(await crm(sandbox, 'not-a-token'), /Invalid Access Token/);
    const t = await connect(sandbox);
    assert.equal(sandbox.oauth.expireAccessTokens(), 1);
    assertUnauthorized(await crm(sandbox, t.access_token), /Access Token expired/);
    // The refresh token survives; the refreshed access token works.
    const fresh = await tokens(refresh(sandbox, t.refresh_token));
    assert.equal((await crm(sandbox, fresh.access_token)).status, 200);

    const other = await connect(sandbox, OTHER);
    assert.equal(sandbox.oauth.revokeAll(CLIENT.clientId), 1);
    assertOAuthError(await refresh(sandbox, fresh.refresh_token), 400, 'invalid_grant');
    assertUnauthorized(await crm(sandbox, fresh.access_token), /Invalid Access Token/);
    assert.equal((await crm(sandbox, other.access_token)).status, 200, "the other app's connection is untouched");
    sandbox.oauth.revokeAll();
    assertOAuthError(await refresh(sandbox, other.refresh_token, OTHER), 400, 'invalid_grant');

    const stats = sandbox.stats();
    assert.equal(stats.oauth.rejectedAccessTokens, 3);
    assert.equal(stats.unauthorized, 3);
  });

  it('expires access tokens after accessTokenTtlSeconds', async () => {
    const short = await startKeapSandbox({ accessTokenTtlSeconds: 1 });
    try {
      const t = await connect(short);
      assert.equal(t.expires_in, 1);
      assert.equal((await crm(short, t.access_token)).status, 200);
      await sleep(1_050);
      assertUnauthorized(await crm(short, t.access_token), /expired/);
      const fresh = await tokens(refresh(short, t.refresh_token));
      assert.equal((await crm(short, fresh.access_token)).status, 200);
      assert.equal(short.stats().oauth.rejectedAccessTokens, 1);
    } finally {
      await short.close();
    }
  });

  it('rate-limits per connection: every token of one grant lineage shares one bucket', async () => {
    const a1 = await connect(sandbox);
    const a2 = await tokens(refresh(sandbox, a1.refresh_token));
    const b = await connect(sandbox);
    assert.equal((await crm(sandbox, a1.access_token)).status, 200);
    const second = await crm(sandbox, a2.access_token);
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('x-keap-product-throttle-used'), '2');
    assert.equal((await crm(sandbox, a1.access_token)).status, 200);
    assert.equal((await crm(sandbox, a2.access_token)).status, 429);
    const other = await crm(sandbox, b.access_token);
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('x-keap-product-throttle-used'), '1');
  });

  it('serves the admin API: codes, revocation, expiry, token faults', async () => {
    const admin = (path: string, body?: unknown): Promise<Response> =>
      fetch(sandbox.url.replace(/\/crm$/, `/__sandbox${path}`), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const issued = await admin('/oauth/codes', { redirectUri: REDIRECT });
    assert.equal(issued.status, 201);
    const { code } = (await issued.json()) as { code: string };
    const t = await tokens(exchange(sandbox, code));
    const forOther = (await (await admin('/oauth/codes', { clientId: OTHER.clientId })).json()) as { code: string };
    await tokens(exchange(sandbox, forOther.code, OTHER));
    assert.equal((await admin('/oauth/codes', { clientId: 'ghost' })).status, 400);

    const config = (await (await fetch(sandbox.url.replace(/\/crm$/, '/__sandbox/'))).json()) as { oauth: unknown };
    assert.deepEqual(config.oauth, {
      tokenPath: '/token',
      clientIds: [CLIENT.clientId, OTHER.clientId],
      accessTokenTtlSeconds: 86_400,
      grants: 2,
    });

    assert.deepEqual(await (await admin('/oauth/expire-access-tokens')).json(), { expired: 2 });
    assertUnauthorized(await crm(sandbox, t.access_token), /expired/);

    // A 5xx commits nothing: the same refresh token works on the retry.
    assert.equal((await admin('/oauth/faults', { mode: 'error-5xx', status: 503 })).status, 201);
    assertOAuthError(await refresh(sandbox, t.refresh_token), 503, 'temporarily_unavailable');
    const t2 = await tokens(refresh(sandbox, t.refresh_token));
    // A reset connection commits nothing either: the refresh token is still the live one.
    sandbox.oauth.injectFault({ mode: 'connection-reset' });
    await assert.rejects(refresh(sandbox, t2.refresh_token));
    // A lost response after the rotation committed: the client never sees the new pair, and the old one is dead.
    sandbox.oauth.injectFault({ mode: 'commit-then-lose' });
    await assert.rejects(refresh(sandbox, t2.refresh_token));
    assertOAuthError(await refresh(sandbox, t2.refresh_token), 400, 'invalid_grant');
    assert.equal(sandbox.stats().faultsInjected.token, 3);

    assert.deepEqual(await (await admin('/oauth/revoke', { clientId: OTHER.clientId })).json(), { revoked: 1 });
    assert.deepEqual(await (await admin('/oauth/revoke')).json(), { revoked: 1 });
  });
});

describe('Keap sandbox OAuth2 persistence (stateFile)', function () {
  this.timeout(5_000);
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keap-sandbox-oauth-'));
    file = join(dir, 'keap-sandbox.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps grants, access tokens (with expiry) and codes across a restart, as digests only', async () => {
    const first = await startKeapSandbox({ stateFile: file });
    const t = await connect(first);
    const rotated = await tokens(refresh(first, t.refresh_token));
    const expiring = await connect(first);
    first.oauth.expireAccessTokens();
    const fresh = await tokens(refresh(first, expiring.refresh_token));
    const pendingCode = first.oauth.issueCode({ redirectUri: REDIRECT });
    await first.close();

    const text = await readFile(file, 'utf8');
    const saved = JSON.parse(text) as { version: number; oauth: { grants: unknown[] } };
    assert.equal(saved.version, STATE_FORMAT_VERSION);
    assert.equal(saved.version, 2);
    assert.equal(saved.oauth.grants.length, 2);
    for (const secret of [
      t.access_token,
      rotated.refresh_token,
      rotated.access_token,
      fresh.access_token,
      pendingCode,
    ]) {
      assert.ok(!text.includes(secret), 'no token or code is stored in clear');
    }

    const second = await startKeapSandbox({ stateFile: file });
    try {
      assertUnauthorized(await crm(second, expiring.access_token), /expired/);
      assert.equal((await crm(second, fresh.access_token)).status, 200);
      assertOAuthError(await refresh(second, t.refresh_token), 400, 'invalid_grant');
      await tokens(refresh(second, rotated.refresh_token));
      await tokens(exchange(second, pendingCode));
    } finally {
      await second.close();
    }
  });

  it('loads a version 1 file (no OAuth state) and rewrites it as version 2', async () => {
    const first = await startKeapSandbox({ stateFile: file });
    const contact = await fetch(`${first.url}/rest/v2/contacts`, {
      method: 'POST',
      headers: { 'X-Keap-API-Key': 'sandbox-api-key', 'Content-Type': 'application/json' },
      body: JSON.stringify({ email_addresses: [{ email: 'ada@example.com', field: 'EMAIL1' }] }),
    });
    assert.equal(contact.status, 201);
    await first.close();
    const v2 = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const { oauth, ...rest } = v2;
    assert.ok(oauth);
    await writeFile(file, JSON.stringify({ ...rest, version: 1 }));

    const second = await startKeapSandbox({ stateFile: file });
    try {
      const t = await connect(second);
      const listing = await crm(second, t.access_token);
      assert.equal((listing.body.contacts as unknown[]).length, 1);
    } finally {
      await second.close();
    }
    assert.equal((JSON.parse(await readFile(file, 'utf8')) as { version: number }).version, 2);

    await writeFile(file, JSON.stringify({ ...v2, version: 3 }));
    await assert.rejects(
      startKeapSandbox({ stateFile: file }),
      /format version 3; this sandbox reads versions 1 and 2/,
    );
  });
});
