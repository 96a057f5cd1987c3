// Keap's OAuth2 token endpoint (`POST https://api.infusionsoft.com/token`), emulated at `POST /token` on the
// sandbox root, plus the bearer-token check for `/crm` calls. Authorization codes come from the admin API or
// `sandbox.oauth.issueCode()` (there is no login page):
//   grant_type=authorization_code  code, redirect_uri; client_id + client_secret in the body (or HTTP Basic)
//   grant_type=refresh_token       refresh_token; client credentials as HTTP Basic (or in the body)
// Both answer {access_token, refresh_token, expires_in, token_type: "bearer", scope: "full"}. Refresh tokens
// rotate: each refresh issues a new pair and revokes the refresh token used, so of two concurrent refreshes with
// the same token exactly one wins (requests are handled one at a time once their body is read). Errors are
// RFC 6749 bodies {error, error_description}: invalid_request / unsupported_grant_type / invalid_grant (400),
// invalid_client (401).
//
// A grant (one connection: a code exchange and every refresh descending from it) has one live refresh token
// and any number of unexpired access tokens; its id keys the rate-limit bucket, so all tokens of a connection
// share one throttle and quota. Only SHA-256 digests of tokens and codes are kept (in memory and in the state
// file); the tokens themselves are returned once and never logged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { FaultRegistry, type FaultMode, type FaultRule, type FaultSpec } from './faults';
import { resetConnection, send } from './http';

/** Path of the token endpoint, at the sandbox root (Keap: https://api.infusionsoft.com/token). */
export const OAUTH_TOKEN_PATH = '/token';
export const DEFAULT_OAUTH_CLIENT: Readonly<OAuthClient> = {
  clientId: 'sandbox-client',
  clientSecret: 'sandbox-client-secret',
};
/** Keap's access tokens last about 24 hours. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 86_400;
/** Authorization codes are short-lived (RFC 6749 recommends at most 10 minutes). */
export const AUTHORIZATION_CODE_TTL_SECONDS = 600;
/** Expired access tokens are remembered this long (so they answer "expired" rather than "invalid"). */
const EXPIRED_TOKEN_MEMORY_MS = 86_400_000;

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface OAuthStats {
  /** Successful authorization_code grants. */
  codeExchanges: number;
  /** Successful refresh_token grants. */
  refreshes: number;
  /** Token requests answered invalid_grant (unknown, used, expired or revoked code or refresh token). */
  invalidGrants: number;
  /** `/crm` calls whose bearer token was unknown, expired or revoked (401). */
  rejectedAccessTokens: number;
}

export type OAuthCounter = keyof OAuthStats;

export interface IssueCodeOptions {
  /** Default: the first configured client. */
  clientId?: string;
  /** When given, the exchange must send exactly this redirect_uri. */
  redirectUri?: string;
}

/** Faults for the token endpoint: the next `count` token requests misbehave (see FaultSpec). */
export type TokenFaultSpec = Omit<FaultSpec, 'operation' | 'retryAfterSeconds'> & {
  mode: Exclude<FaultMode, 'throttle-429'>;
};

export interface TokenResponseBody {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: 'bearer';
  scope: 'full';
}

export interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

/** The result of checking a bearer token on a `/crm` call. */
export type BearerCheck = { ok: true; credential: string } | { ok: false; message: string };

/** OAuth state in the state file (format version 2): digests only, times in epoch milliseconds. */
export interface PersistedOAuth {
  grants: { id: string; clientId: string; createdAt: number; refreshTokenSha256: string }[];
  accessTokens: { sha256: string; grantId: string; expiresAt: number }[];
  codes: { sha256: string; clientId: string; redirectUri?: string; expiresAt: number }[];
}

interface Grant {
  id: string;
  clientId: string;
  createdAt: number;
  refreshTokenSha256: string;
}

interface AccessToken {
  grantId: string;
  expiresAt: number;
}

interface Code {
  clientId: string;
  redirectUri?: string;
  expiresAt: number;
}

interface TokenReply {
  status: number;
  headers: Record<string, string>;
  body: TokenResponseBody | OAuthErrorBody;
}

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');
const newToken = (bytes: number): string => randomBytes(bytes).toString('base64url');
/** Constant-time comparison (of digests, so lengths never leak either). */
const secretEquals = (a: string, b: string): boolean =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

// RFC 6749 §5.1: token responses must not be cached.
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

class TokenError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

const invalidRequest = (description: string): TokenError => new TokenError(400, 'invalid_request', description);
const invalidGrant = (description: string): TokenError => new TokenError(400, 'invalid_grant', description);

export class OAuthProvider {
  readonly clients: ReadonlyMap<string, string>;
  readonly faults = new FaultRegistry();
  /** Called after every change of the OAuth state (persistence schedules a save). */
  onChange: (() => void) | undefined;
  private grants = new Map<string, Grant>();
  /** Refresh-token digest -> grant id. */
  private refreshTokens = new Map<string, string>();
  private accessTokens = new Map<string, AccessToken>();
  private codes = new Map<string, Code>();
  private lastSweep = 0;

  constructor(
    clients: readonly OAuthClient[],
    readonly accessTokenTtlSeconds: number,
    private readonly count: (counter: OAuthCounter) => void = () => undefined,
    private readonly clock: () => number = Date.now,
  ) {
    this.clients = new Map(clients.map((c) => [c.clientId, c.clientSecret]));
  }

  /** Issues a single-use authorization code, as Keap's consent page would after the merchant approves. */
  issueCode(options: IssueCodeOptions = {}): string {
    const clientId = options.clientId ?? [...this.clients.keys()][0];
    if (clientId === undefined || !this.clients.has(clientId)) {
      throw new Error(`Unknown OAuth client ${JSON.stringify(options.clientId)}`);
    }
    if (options.redirectUri !== undefined && typeof options.redirectUri !== 'string') {
      throw new Error('redirectUri must be a string');
    }
    this.sweep();
    const code = newToken(24);
    const record: Code = { clientId, expiresAt: this.clock() + AUTHORIZATION_CODE_TTL_SECONDS * 1000 };
    if (options.redirectUri !== undefined) record.redirectUri = options.redirectUri;
    this.codes.set(sha256(code), record);
    this.onChange?.();
    return code;
  }

  /** Revokes every grant (or one client's): their refresh tokens get invalid_grant, their access tokens 401. */
  revokeAll(clientId?: string): number {
    let revoked = 0;
    for (const grant of [...this.grants.values()]) {
      if (clientId !== undefined && grant.clientId !== clientId) continue;
      this.dropGrant(grant);
      revoked++;
    }
    for (const [digest, code] of this.codes) {
      if (clientId === undefined || code.clientId === clientId) this.codes.delete(digest);
    }
    this.onChange?.();
    return revoked;
  }

  /** Expires every current access token now (refresh tokens stay valid); returns how many were live. */
  expireAccessTokens(): number {
    const now = this.clock();
    let expired = 0;
    for (const token of this.accessTokens.values()) {
      if (token.expiresAt > now) {
        token.expiresAt = now;
        expired++;
      }
    }
    this.onChange?.();
    return expired;
  }

  /** How many connections (grants) are live. */
  grantCount(): number {
    return this.grants.size;
  }

  /** Checks a bearer token sent to `/crm`; the credential (`oauth:<grant id>`) keys the rate limits. */
  checkBearer(token: string): BearerCheck {
    const record = this.accessTokens.get(sha256(token));
    const grant = record && this.grants.get(record.grantId);
    if (!record || !grant || !this.clients.has(grant.clientId)) {
      this.count('rejectedAccessTokens');
      return { ok: false, message: 'Invalid Access Token' };
    }
    if (this.clock() >= record.expiresAt) {
      this.count('rejectedAccessTokens');
      return { ok: false, message: 'Access Token expired' };
    }
    return { ok: true, credential: `oauth:${grant.id}` };
  }

  /** Counts a bearer token rejected before it reached checkBearer (malformed header). */
  rejected(): void {
    this.count('rejectedAccessTokens');
  }

  /** Serves one token request. Synchronous: a refresh token is checked and rotated without interleaving. */
  token(method: string, headers: IncomingHttpHeaders, raw: Buffer): TokenReply {
    try {
      return { status: 200, headers: NO_STORE, body: this.grant(method, headers, raw) };
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      if (err.error === 'invalid_grant') this.count('invalidGrants');
      const h: Record<string, string> = { ...NO_STORE };
      if (err.httpStatus === 401) h['www-authenticate'] = 'Basic realm="Keap sandbox token endpoint"';
      if (err.httpStatus === 405) h.allow = 'POST';
      return { status: err.httpStatus, headers: h, body: { error: err.error, error_description: err.description } };
    }
  }

  /** Forgets every grant, token and code. */
  clear(): void {
    this.grants.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.codes.clear();
  }

  dump(): PersistedOAuth {
    return {
      grants: [...this.grants.values()].map((g) => ({ ...g })),
      accessTokens: [...this.accessTokens].map(([sha, t]) => ({
        sha256: sha,
        grantId: t.grantId,
        expiresAt: t.expiresAt,
      })),
      codes: [...this.codes].map(([sha, c]) => ({ sha256: sha, ...c })),
    };
  }

  /** Replaces the state with a persisted one; throws (leaving it empty) when it is inconsistent. */
  load(p: PersistedOAuth): void {
    this.clear();
    try {
      for (const g of p.grants) {
        if (this.grants.has(g.id)) throw new Error(`oauth.grants: duplicate id ${g.id}`);
        if (this.refreshTokens.has(g.refreshTokenSha256)) throw new Error('oauth.grants: duplicate refresh token');
        this.grants.set(g.id, { ...g });
        this.refreshTokens.set(g.refreshTokenSha256, g.id);
      }
      for (const t of p.accessTokens) {
        if (!this.grants.has(t.grantId)) throw new Error(`oauth.accessTokens: unknown grant ${t.grantId}`);
        this.accessTokens.set(t.sha256, { grantId: t.grantId, expiresAt: t.expiresAt });
      }
      for (const c of p.codes) {
        const code: Code = { clientId: c.clientId, expiresAt: c.expiresAt };
        if (c.redirectUri !== undefined) code.redirectUri = c.redirectUri;
        this.codes.set(c.sha256, code);
      }
    } catch (err) {
      this.clear();
      throw err;
    }
  }

  private grant(method: string, headers: IncomingHttpHeaders, raw: Buffer): TokenResponseBody {
    if (method !== 'POST') throw new TokenError(405, 'invalid_request', 'The token endpoint only accepts POST');
    const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      throw invalidRequest('Content-Type must be application/x-www-form-urlencoded');
    }
    const params = new URLSearchParams(raw.toString('utf8'));
    const param = (name: string): string | undefined => {
      const values = params.getAll(name);
      if (values.length > 1) throw invalidRequest(`Parameter ${name} is repeated`);
      return values[0] === '' ? undefined : values[0];
    };
    const grantType = param('grant_type');
    if (grantType === undefined) throw invalidRequest('Missing parameter grant_type');
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      throw new TokenError(400, 'unsupported_grant_type', `Unsupported grant_type ${grantType}`);
    }
    const clientId = this.authenticateClient(headers.authorization, param('client_id'), param('client_secret'));
    this.sweep();
    if (grantType === 'authorization_code') {
      const code = param('code');
      const redirectUri = param('redirect_uri');
      if (code === undefined) throw invalidRequest('Missing parameter code');
      if (redirectUri === undefined) throw invalidRequest('Missing parameter redirect_uri');
      const digest = sha256(code);
      const record = this.codes.get(digest);
      if (!record || record.clientId !== clientId || this.clock() >= record.expiresAt) {
        throw invalidGrant('Invalid authorization code');
      }
      if (record.redirectUri !== undefined && record.redirectUri !== redirectUri) {
        throw invalidGrant('redirect_uri does not match the one the authorization code was issued for');
      }
      this.codes.delete(digest);
      const grant: Grant = {
        id: randomBytes(8).toString('hex'),
        clientId,
        createdAt: this.clock(),
        refreshTokenSha256: '',
      };
      this.grants.set(grant.id, grant);
      this.count('codeExchanges');
      return this.issueTokens(grant);
    }
    const refreshToken = param('refresh_token');
    if (refreshToken === undefined) throw invalidRequest('Missing parameter refresh_token');
    const grantId = this.refreshTokens.get(sha256(refreshToken));
    const grant = grantId === undefined ? undefined : this.grants.get(grantId);
    if (!grant || grant.clientId !== clientId) throw invalidGrant('Invalid refresh token');
    this.count('refreshes');
    return this.issueTokens(grant);
  }

  /** Client credentials from HTTP Basic (preferred) or the body; returns the client id or throws invalid_client. */
  private authenticateClient(authorization: string | undefined, bodyId?: string, bodySecret?: string): string {
    let id = bodyId;
    let secret = bodySecret;
    const basic = authorization === undefined ? undefined : /^Basic\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new TokenError(401, 'invalid_client', 'Malformed HTTP Basic client credentials');
      // RFC 6749 §2.3.1: the id and secret are form-urlencoded before Basic encoding.
      const decode = (s: string): string => {
        try {
          return decodeURIComponent(s.replace(/\+/g, ' '));
        } catch {
          return s;
        }
      };
      const basicId = decode(decoded.slice(0, colon));
      if (bodyId !== undefined && bodyId !== basicId) {
        throw invalidRequest('client_id in the body differs from the HTTP Basic client credentials');
      }
      id = basicId;
      secret = decode(decoded.slice(colon + 1));
    }
    if (id === undefined || secret === undefined) {
      throw new TokenError(401, 'invalid_client', 'Missing client credentials (HTTP Basic or client_id/client_secret)');
    }
    const expected = this.clients.get(id);
    if (expected === undefined || !secretEquals(secret, expected)) {
      throw new TokenError(401, 'invalid_client', 'Invalid client credentials');
    }
    return id;
  }

  /** Issues a new access token and rotates the grant's refresh token (the previous one stops working). */
  private issueTokens(grant: Grant): TokenResponseBody {
    const accessToken = newToken(32);
    const refreshToken = newToken(32);
    this.refreshTokens.delete(grant.refreshTokenSha256);
    grant.refreshTokenSha256 = sha256(refreshToken);
    this.refreshTokens.set(grant.refreshTokenSha256, grant.id);
    const expiresAt = this.clock() + this.accessTokenTtlSeconds * 1000;
    this.accessTokens.set(sha256(accessToken), { grantId: grant.id, expiresAt });
    this.onChange?.();
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: this.accessTokenTtlSeconds,
      token_type: 'bearer',
      scope: 'full',
    };
  }

  private dropGrant(grant: Grant): void {
    this.grants.delete(grant.id);
    this.refreshTokens.delete(grant.refreshTokenSha256);
    for (const [digest, token] of this.accessTokens) {
      if (token.grantId === grant.id) this.accessTokens.delete(digest);
    }
  }

  /** At most once a minute: forgets expired codes and access tokens expired for a day. */
  private sweep(): void {
    const now = this.clock();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [digest, code] of this.codes) if (now >= code.expiresAt) this.codes.delete(digest);
    for (const [digest, token] of this.accessTokens) {
      if (now - token.expiresAt >= EXPIRED_TOKEN_MEMORY_MS) this.accessTokens.delete(digest);
    }
  }
}

/** Validates and queues a token-endpoint fault. */
export function injectTokenFault(oauth: OAuthProvider, spec: TokenFaultSpec): FaultRule {
  if ((spec.mode as FaultMode) === 'throttle-429') throw new Error('mode throttle-429 is not supported on /token');
  return oauth.faults.inject({ ...spec, operation: '*' });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface TokenEndpointHooks {
  fault(mode: FaultMode): void;
  lost(): void;
}

/** Serves `POST /token`, applying token-endpoint faults. Never logs, never reports exchanges (they carry secrets). */
export async function serveTokenEndpoint(
  oauth: OAuthProvider,
  hooks: TokenEndpointHooks,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  raw: Buffer,
): Promise<void> {
  const fault = oauth.faults.take('token');
  if (fault) hooks.fault(fault.mode);
  if (fault && fault.delayMs > 0) await sleep(fault.delayMs);
  if (fault?.mode === 'connection-reset') {
    resetConnection(req.socket);
    return;
  }
  if (fault?.mode === 'error-5xx') {
    const error =
      fault.status === 503 ? 'temporarily_unavailable' : fault.status >= 500 ? 'server_error' : 'invalid_request';
    const body: OAuthErrorBody = { error, error_description: 'Injected by the Keap sandbox' };
    send(res, fault.status, NO_STORE, body);
    return;
  }
  const reply = oauth.token(method, req.headers, raw);
  if (fault?.mode === 'commit-then-lose') {
    hooks.lost();
    req.socket.destroy();
    return;
  }
  send(res, reply.status, reply.headers, reply.body);
}
