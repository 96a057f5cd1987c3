// The request pipeline for `/crm/...`: read body -> authenticate (401) -> route -> chaos draw ->
// rate limit (429) -> unknown route (404/405) -> fault (a next-N rule, else the chaos draw) -> latency ->
// reset / 5xx / 429 -> JSON (400) -> operation -> respond (or lose it).
// `POST /token` (OAuth2 token endpoint, oauth.ts) and `/__sandbox/` (admin.ts) are served beside it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AdminTarget, handleAdmin } from './admin';
import { ChaosProfile } from './chaos';
import { queryRecord, readBody, resetConnection, send, tryParseJson } from './http';
import { KeapError, errorBody } from './errors';
import { FaultRegistry, type FaultAction, type FaultMode } from './faults';
import { Money } from './money';
import { type BearerCheck, OAUTH_TOKEN_PATH, OAuthProvider, serveTokenEndpoint } from './oauth';
import type { OpContext, OpResult } from './ops/types';
import type { ResolvedOptions } from './options';
import { RateLimiter } from './rate-limit';
import { Router } from './routes';
import { type FaultSource, StatsRecorder } from './stats';
import { SandboxState } from './store/state';

/** One request/response pair, as seen by `onExchange` listeners (conformance checks, call counting). */
export interface SandboxExchange {
  /** null when no operation matched (404/405) or the request was rejected before routing (401/429). */
  operationId: string | null;
  method: string;
  /** Path as requested, without the query string (e.g. `/crm/rest/v2/orders/12`). */
  path: string;
  query: Record<string, string | string[]>;
  /** HTTP status sent; 0 when no response was sent on purpose (commit-then-lose, connection-reset). */
  status: number;
  /** Parsed JSON request body (undefined when empty or malformed). */
  requestBody: unknown;
  /** JSON response body (undefined for 204); for a lost response, the body that would have been sent. */
  responseBody: unknown;
  /** The injected fault that shaped this exchange, if any. */
  fault?: FaultMode;
  /** Where that fault came from: a next-N rule or the chaos profile. */
  faultSource?: FaultSource;
}

export type ExchangeListener = (exchange: SandboxExchange) => void;

const CRM_PREFIX = '/crm';
const FAULT_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad Request (injected by the Keap sandbox)',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class SandboxCore implements AdminTarget {
  readonly state = new SandboxState();
  readonly money: Money;
  readonly faults = new FaultRegistry();
  /** Seeded random faults; explicit rules in `faults` take precedence. */
  readonly chaos = new ChaosProfile();
  readonly stats = new StatsRecorder();
  readonly limiter: RateLimiter;
  readonly router = new Router();
  readonly listeners = new Set<ExchangeListener>();
  /** OAuth2 grants, tokens and codes (the token endpoint and bearer-token checks). */
  readonly oauth: OAuthProvider;
  /** Global latency and per-operation latency (ms), adjustable at run time. */
  latencyMs: number;
  readonly operationLatencyMs = new Map<string, number>();
  /** Called after every write operation and reset (persistence schedules a save). */
  onStateChange: (() => void) | undefined;
  private readonly ctx: OpContext;

  constructor(readonly options: ResolvedOptions) {
    this.money = new Money(options.currency, options.locale);
    this.limiter = new RateLimiter(options.throttle, options.tenantId);
    this.latencyMs = options.latencyMs;
    this.oauth = new OAuthProvider(options.oauthClients, options.accessTokenTtlSeconds, (c) => this.stats.oauth(c));
    this.oauth.onChange = () => this.onStateChange?.();
    this.ctx = {
      state: this.state,
      money: this.money,
      manualPaymentTypes: options.manualPaymentTypes,
      now: () => new Date().toISOString(),
    };
  }

  /** Clears data, faults, chaos, stats, rate-limit windows and run-time latency settings (OAuth grants stay). */
  reset(): void {
    this.state.reset();
    this.faults.clear();
    this.chaos.clear();
    this.oauth.faults.clear();
    this.stats.reset();
    this.limiter.reset();
    this.latencyMs = this.options.latencyMs;
    this.operationLatencyMs.clear();
    this.onStateChange?.();
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.process(req, res).catch((err: unknown) => {
      console.error('[keap-sandbox] unexpected error', err);
      if (!res.headersSent) send(res, 500, {}, errorBody(500, 'Internal Server Error'));
      else res.destroy();
    });
  }

  private async process(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.request();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
    const method = (req.method ?? 'GET').toUpperCase();

    let raw: Buffer;
    try {
      raw = await readBody(req, this.options.maxBodyBytes);
    } catch {
      send(res, 413, {}, errorBody(413, 'Request body too large'));
      return;
    }

    if (path === '/__sandbox' || path.startsWith('/__sandbox/')) {
      handleAdmin(this, req, res, method, path, raw);
      return;
    }
    if (path === OAUTH_TOKEN_PATH) {
      const hooks = {
        fault: (mode: FaultMode) => this.stats.fault('token', mode, 'rule'),
        lost: () => this.stats.lost(),
      };
      await serveTokenEndpoint(this.oauth, hooks, req, res, method, raw);
      return;
    }

    const exchange: SandboxExchange = {
      operationId: null,
      method,
      path,
      query: queryRecord(query),
      status: 0,
      requestBody: undefined,
      responseBody: undefined,
    };
    const respond = (status: number, headers: Record<string, string>, body?: unknown): void => {
      this.stats.response(status);
      send(res, status, headers, body);
      this.emit({ ...exchange, status, responseBody: body });
    };

    if (!path.startsWith(`${CRM_PREFIX}/`)) {
      this.stats.unknownRoute();
      respond(404, {}, errorBody(404, `No such endpoint: ${method} ${path} (the Keap API base is ${CRM_PREFIX})`));
      return;
    }
    exchange.requestBody = tryParseJson(raw);

    const auth = this.authenticate(req);
    if (!auth.ok) {
      this.stats.unauthorized();
      respond(401, {}, errorBody(401, auth.message));
      return;
    }
    const credential = auth.credential;

    // Route first so throttled calls are still attributed to their operation; the gateway counts and
    // throttles every authenticated call, including ones to paths it does not serve.
    const match = this.router.match(method, path.slice(CRM_PREFIX.length));
    if (match.kind === 'ok') {
      exchange.operationId = match.op.operationId;
      this.stats.call(match.op.operationId);
    }
    // Drawn before the rate limiter, once per covered call, so real throttling never shifts the seeded sequence.
    const drawn = match.kind === 'ok' ? this.chaos.draw(match.op.operationId, match.op.method !== 'GET') : undefined;
    const decision = this.limiter.consume(credential);
    if (!decision.allowed) {
      if (drawn) this.chaos.preempted();
      const reason = decision.reason ?? 'throttle';
      this.stats.throttled(reason);
      const retryAfter = String(decision.retryAfterSeconds ?? 1);
      respond(429, { ...decision.headers, 'retry-after': retryAfter }, throttledBody(reason));
      return;
    }
    const headers = decision.headers;
    if (match.kind === 'not-found') {
      this.stats.unknownRoute();
      respond(404, headers, errorBody(404, `No such endpoint: ${method} ${path}`));
      return;
    }
    if (match.kind === 'method-not-allowed') {
      this.stats.unknownRoute();
      const allow = match.allowed.join(', ');
      respond(405, { ...headers, allow }, errorBody(405, `Method ${method} not allowed on ${path}`));
      return;
    }
    const op = match.op;

    // An explicit rule wins over chaos; the chaos draw was made anyway, so the sequence stays aligned.
    const rule = this.faults.take(op.operationId);
    if (rule && drawn) this.chaos.preempted();
    const fault: FaultAction | undefined = rule ?? drawn;
    if (fault) {
      const source: FaultSource = rule ? 'rule' : 'chaos';
      exchange.fault = fault.mode;
      exchange.faultSource = source;
      this.stats.fault(op.operationId, fault.mode, source);
      if (source === 'chaos') this.chaos.applied(op.operationId, fault.mode);
    }
    const delay = this.latencyMs + (this.operationLatencyMs.get(op.operationId) ?? 0) + (fault?.delayMs ?? 0);
    if (delay > 0) await sleep(delay);

    if (fault?.mode === 'connection-reset') {
      // Nothing is committed; the client sees its connection reset, as with a proxy or load balancer dropping it.
      this.emit({ ...exchange, status: 0 });
      resetConnection(req.socket);
      return;
    }

    if (fault?.mode === 'error-5xx') {
      const message =
        FAULT_MESSAGES[fault.status] ?? (fault.status >= 500 ? 'Internal Server Error' : 'Request rejected');
      respond(fault.status, headers, errorBody(fault.status, message));
      return;
    }
    if (fault?.mode === 'throttle-429') {
      this.stats.throttled('injected');
      const h = { ...this.limiter.peek(credential), 'retry-after': String(fault.retryAfterSeconds) };
      respond(429, h, throttledBody('throttle'));
      return;
    }

    let result: OpResult;
    if (raw.length > 0 && exchange.requestBody === undefined) {
      result = { status: 400, body: errorBody(400, 'Malformed JSON in request body') };
    } else {
      result = this.execute(op.handler, match.params, query, exchange.requestBody);
      // Any write may have committed (handlers throw before committing, but a spare save is cheap).
      if (op.method !== 'GET') this.onStateChange?.();
    }

    if (fault?.mode === 'commit-then-lose') {
      // The write (if valid) is committed; the client never hears about it.
      this.stats.lost();
      this.emit({ ...exchange, status: 0, responseBody: result.body });
      req.socket.destroy();
      return;
    }
    respond(result.status, headers, result.body);
  }

  private execute(
    handler: (
      ctx: OpContext,
      req: { params: Record<string, string>; query: URLSearchParams; body: unknown },
    ) => OpResult,
    params: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
  ): OpResult {
    try {
      return handler(this.ctx, { params, query, body });
    } catch (err) {
      if (err instanceof KeapError) return { status: err.httpStatus, body: err.toBody() };
      throw err;
    }
  }

  /** Custom hook, API key, configured bearer token, then OAuth access token (its grant keys the rate limits). */
  private authenticate(req: IncomingMessage): BearerCheck {
    const custom = this.options.authenticate?.(req.headers);
    if (custom !== undefined) return { ok: true, credential: custom };
    const key = req.headers['x-keap-api-key'];
    if (typeof key === 'string' && this.options.apiKeys.has(key)) return { ok: true, credential: `key:${key}` };
    const auth = req.headers.authorization;
    const bearer = auth === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
    if (bearer !== undefined && this.options.accessTokens.has(bearer))
      return { ok: true, credential: `token:${bearer}` };
    if (bearer !== undefined) return this.oauth.checkBearer(bearer);
    if (auth !== undefined && /^Bearer\b/i.test(auth)) {
      this.oauth.rejected();
      return { ok: false, message: 'Invalid Access Token' };
    }
    return { ok: false, message: 'Invalid or missing credentials: send X-Keap-API-Key or Authorization: Bearer' };
  }

  private emit(exchange: SandboxExchange): void {
    for (const listener of this.listeners) {
      try {
        listener(exchange);
      } catch (err) {
        console.error('[keap-sandbox] exchange listener failed', err);
      }
    }
  }
}

/** Keap's 429 body as seen in the wild: {code: 429, message: "Quota Exceeded", status: "Request Throttled"}. */
function throttledBody(reason: string): unknown {
  return { code: 429, message: 'Quota Exceeded', status: 'Request Throttled', details: [{ domain: reason }] };
}
