// Admin endpoints under /__sandbox/ (no Keap auth, loopback clients only): fault injection, latency,
// stats and reset, so tests written in any language and shell scripts can steer a running sandbox.
//   GET    /__sandbox/            what this sandbox serves and how it is configured
//   POST   /__sandbox/faults      {operation, mode, count?, status?, delayMs?, retryAfterSeconds?} -> 201 rule
//   GET    /__sandbox/faults      pending rules
//   DELETE /__sandbox/faults      clear all rules (?operation=X: only that operation's) -> 204
//   POST   /__sandbox/chaos       {seed, rates, latencyMs?, operations?, statuses?, retryAfterSeconds?} -> 200 status
//   GET    /__sandbox/chaos       {enabled, config, counts}
//   DELETE /__sandbox/chaos       turn chaos off -> 204
//   GET    /__sandbox/stats       counters (calls per operationId, 429s, faults by mode and operation, ...)
//   POST   /__sandbox/reset       clear data, faults, chaos, stats, rate windows and latency overrides -> 204
//   GET    /__sandbox/latency     current latency settings
//   POST   /__sandbox/latency     {latencyMs, operation?} sets global (or one operation's) latency
//   POST   /__sandbox/oauth/codes {clientId?, redirectUri?} -> 201 {code}: an authorization code for POST /token
//   POST   /__sandbox/oauth/revoke {clientId?} -> {revoked}: the merchant revokes access (refresh -> invalid_grant)
//   POST   /__sandbox/oauth/expire-access-tokens -> {expired}: every access token expires now
//   POST   /__sandbox/oauth/faults {mode, count?, status?, delayMs?} -> 201 rule: misbehave on the next token requests
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ChaosConfig, type ChaosProfile, validateChaos } from './chaos';
import { errorBody } from './errors';
import { validateFault, type FaultRegistry, type FaultSpec } from './faults';
import type { Money } from './money';
import { OAUTH_TOKEN_PATH, type OAuthProvider, injectTokenFault, type TokenFaultSpec } from './oauth';
import type { ResolvedOptions } from './options';
import { OPERATION_IDS, SANDBOX_ROUTES } from './routes';
import { send, tryParseJson } from './http';
import type { StatsRecorder } from './stats';

/**
 * What the admin API reads and steers in a running sandbox. SandboxCore (server.ts) implements it and
 * passes itself to handleAdmin; declared here, beside its one user, so admin.ts does not import server.ts,
 * which imports handleAdmin from here.
 */
export interface AdminTarget {
  readonly options: Pick<ResolvedOptions, 'allowRemoteAdmin' | 'throttle' | 'manualPaymentTypes' | 'stateFile'>;
  readonly money: Pick<Money, 'currency' | 'digits'>;
  readonly faults: Pick<FaultRegistry, 'inject' | 'list' | 'clear'>;
  readonly chaos: Pick<ChaosProfile, 'configure' | 'status' | 'clear'>;
  readonly stats: Pick<StatsRecorder, 'snapshot'>;
  readonly oauth: OAuthProvider;
  /** Global latency (ms), changeable at run time. */
  latencyMs: number;
  /** Per-operation latency (ms), added to the global one. */
  readonly operationLatencyMs: Map<string, number>;
  /** Clears data, faults, chaos, stats, rate-limit windows and run-time latency settings. */
  reset(): void;
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function handleAdmin(
  core: AdminTarget,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  fullPath: string,
  raw: Buffer,
): void {
  const fail = (status: number, message: string): void => send(res, status, {}, errorBody(status, message));
  if (!core.options.allowRemoteAdmin && !isLoopback(req.socket.remoteAddress)) {
    fail(403, 'The sandbox admin API is only served to loopback clients');
    return;
  }
  const [pathOnly = '', queryString = ''] = (req.url ?? '').split('?', 2);
  const path = pathOnly.replace(/\/+$/, '') || fullPath;
  const body = tryParseJson(raw);
  if (raw.length > 0 && body === undefined) {
    fail(400, 'Malformed JSON in request body');
    return;
  }
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /__sandbox':
      send(
        res,
        200,
        {},
        {
          currency: core.money.currency,
          currencyDigits: core.money.digits,
          throttle: core.options.throttle,
          latencyMs: core.latencyMs,
          chaos: core.chaos.status().config,
          manualPaymentTypes: [...core.options.manualPaymentTypes],
          stateFile: core.options.stateFile ?? null,
          oauth: {
            tokenPath: OAUTH_TOKEN_PATH,
            clientIds: [...core.oauth.clients.keys()],
            accessTokenTtlSeconds: core.oauth.accessTokenTtlSeconds,
            grants: core.oauth.grantCount(),
          },
          operations: SANDBOX_ROUTES.map((r) => ({ ...r, path: `/crm${r.path}` })),
        },
      );
      break;
    case 'POST /__sandbox/faults': {
      const spec = isRecord(body) ? (body as Partial<FaultSpec>) : undefined;
      const problems = spec ? validateFault(spec) : ['body must be a JSON object'];
      if (!spec || problems.length > 0) {
        fail(400, `Invalid fault: ${problems.join('; ')}`);
        break;
      }
      send(res, 201, {}, core.faults.inject(spec as FaultSpec));
      break;
    }
    case 'GET /__sandbox/faults':
      send(res, 200, {}, { faults: core.faults.list() });
      break;
    case 'DELETE /__sandbox/faults': {
      const operation = new URLSearchParams(queryString).get('operation') ?? undefined;
      core.faults.clear(operation);
      send(res, 204, {});
      break;
    }
    case 'POST /__sandbox/chaos': {
      const problems = validateChaos(body);
      if (problems.length > 0) {
        fail(400, `Invalid chaos config: ${problems.join('; ')}`);
        break;
      }
      send(res, 200, {}, core.chaos.configure(body as ChaosConfig));
      break;
    }
    case 'GET /__sandbox/chaos':
      send(res, 200, {}, core.chaos.status());
      break;
    case 'DELETE /__sandbox/chaos':
      core.chaos.clear();
      send(res, 204, {});
      break;
    case 'GET /__sandbox/stats':
      send(res, 200, {}, core.stats.snapshot());
      break;
    case 'POST /__sandbox/reset':
      core.reset();
      send(res, 204, {});
      break;
    case 'GET /__sandbox/latency':
      send(res, 200, {}, { latencyMs: core.latencyMs, operations: Object.fromEntries(core.operationLatencyMs) });
      break;
    case 'POST /__sandbox/latency': {
      const latency = isRecord(body) ? body.latencyMs : undefined;
      const operation = isRecord(body) ? body.operation : undefined;
      if (typeof latency !== 'number' || !(latency >= 0)) {
        fail(400, 'latencyMs must be a non-negative number');
        break;
      }
      if (operation !== undefined && (typeof operation !== 'string' || !OPERATION_IDS.has(operation))) {
        fail(400, `operation must be one of: ${[...OPERATION_IDS].join(', ')}`);
        break;
      }
      if (operation === undefined) core.latencyMs = latency;
      else if (latency === 0) core.operationLatencyMs.delete(operation);
      else core.operationLatencyMs.set(operation, latency);
      send(res, 200, {}, { latencyMs: core.latencyMs, operations: Object.fromEntries(core.operationLatencyMs) });
      break;
    }
    case 'POST /__sandbox/oauth/codes': {
      const clientId = isRecord(body) ? body.clientId : undefined;
      const redirectUri = isRecord(body) ? body.redirectUri : undefined;
      if (body !== undefined && !isRecord(body)) {
        fail(400, 'body must be a JSON object');
        break;
      }
      if (clientId !== undefined && (typeof clientId !== 'string' || !core.oauth.clients.has(clientId))) {
        fail(400, `clientId must be one of: ${[...core.oauth.clients.keys()].join(', ')}`);
        break;
      }
      if (redirectUri !== undefined && typeof redirectUri !== 'string') {
        fail(400, 'redirectUri must be a string');
        break;
      }
      send(res, 201, { 'cache-control': 'no-store' }, { code: core.oauth.issueCode({ clientId, redirectUri }) });
      break;
    }
    case 'POST /__sandbox/oauth/revoke': {
      const clientId = isRecord(body) ? body.clientId : undefined;
      if (clientId !== undefined && typeof clientId !== 'string') {
        fail(400, 'clientId must be a string');
        break;
      }
      send(res, 200, {}, { revoked: core.oauth.revokeAll(clientId) });
      break;
    }
    case 'POST /__sandbox/oauth/expire-access-tokens':
      send(res, 200, {}, { expired: core.oauth.expireAccessTokens() });
      break;
    case 'POST /__sandbox/oauth/faults': {
      const spec = isRecord(body) ? (body as Partial<TokenFaultSpec>) : undefined;
      const problems = spec ? validateFault({ ...spec, operation: '*' }) : ['body must be a JSON object'];
      if (spec?.mode === ('throttle-429' as string)) problems.push('mode throttle-429 is not supported on /token');
      if (!spec || problems.length > 0) {
        fail(400, `Invalid fault: ${problems.join('; ')}`);
        break;
      }
      send(res, 201, {}, injectTokenFault(core.oauth, spec as TokenFaultSpec));
      break;
    }
    default:
      fail(404, `No such admin endpoint: ${route}`);
  }
}
