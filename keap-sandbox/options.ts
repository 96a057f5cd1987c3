// Sandbox options with their defaults. Defaults suit tests and the zero-config demo: one well-known API key,
// USD, no latency, and rate limits reported but not enforced.
import type { IncomingHttpHeaders } from 'node:http';
import { resolve } from 'node:path';
import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS, DEFAULT_OAUTH_CLIENT, type OAuthClient } from './oauth';
import { DEFAULT_MANUAL_PAYMENT_TYPES } from './ops/payments';
import { type RateLimitOptions, parseRateLimitSpec } from './rate-limit';

export const DEFAULT_API_KEY = 'sandbox-api-key';

/**
 * Extra authentication, tried before the built-in API-key / bearer-token / OAuth access-token checks.
 * Return a credential id (it keys the rate-limit buckets) to accept the request, or undefined to fall back.
 */
export type Authenticator = (headers: IncomingHttpHeaders) => string | undefined;

export interface KeapSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Accepted `X-Keap-API-Key` values. Default [`sandbox-api-key`]. */
  apiKeys?: string[];
  /** Accepted `Authorization: Bearer` tokens. Default none. */
  accessTokens?: string[];
  authenticate?: Authenticator;
  /** ISO 4217 code of the tenant's currency. Default USD. */
  currency?: string;
  /** Locale for CurrencyValue.formatted_amount. Default en-US. */
  locale?: string;
  /** Rate limits, as options or a spec string (`10/s`, `240/min,30000/day,spike:10/s`, `api-key`, `oauth`). */
  throttle?: RateLimitOptions | string;
  /** Added to every Keap call (benchmarks). Default 0. */
  latencyMs?: number;
  /** Manual Payment Types configured in the emulated app; payment_method_type must match one exactly. */
  manualPaymentTypes?: string[];
  /** Reported as x-keap-tenant-id. Default `sandbox`. */
  tenantId?: string;
  /** Serve /__sandbox/ to non-loopback clients too. Default false. */
  allowRemoteAdmin?: boolean;
  /** Largest accepted request body. Default 10 MiB. */
  maxBodyBytes?: number;
  /**
   * Makes the data durable: loaded from this JSON file at start when it exists (an unreadable, invalid or
   * other-version file fails the start), saved atomically (mode 0600) shortly after changes and on close.
   * Default none: data lives in memory only.
   */
  stateFile?: string;
  /** With stateFile: how long after a change the state is saved (at most one save per interval). Default 500. */
  stateSaveDelayMs?: number;
  /**
   * OAuth2 apps accepted by the token endpoint (`POST /token`). Default one client:
   * `sandbox-client` / `sandbox-client-secret`.
   */
  oauthClients?: OAuthClient[];
  /** Lifetime of OAuth access tokens, in whole seconds (`expires_in`). Default 86400, as Keap. */
  accessTokenTtlSeconds?: number;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  apiKeys: ReadonlySet<string>;
  accessTokens: ReadonlySet<string>;
  authenticate?: Authenticator;
  currency: string;
  locale: string;
  throttle: RateLimitOptions;
  latencyMs: number;
  /** Mutable: a merchant can change them while the app runs (KeapSandbox.manualPaymentTypes). */
  manualPaymentTypes: Set<string>;
  tenantId: string;
  allowRemoteAdmin: boolean;
  maxBodyBytes: number;
  /** Absolute path, when persistence is on. */
  stateFile?: string;
  stateSaveDelayMs: number;
  oauthClients: readonly OAuthClient[];
  accessTokenTtlSeconds: number;
}

export function resolveOptions(o: KeapSandboxOptions = {}): ResolvedOptions {
  const latencyMs = o.latencyMs ?? 0;
  if (!(latencyMs >= 0)) throw new Error(`Invalid latencyMs: ${latencyMs}`);
  const apiKeys = o.apiKeys ?? [DEFAULT_API_KEY];
  if (apiKeys.some((k) => k === '')) throw new Error('API keys must not be empty');
  if (o.stateFile === '') throw new Error('stateFile must not be empty');
  const stateSaveDelayMs = o.stateSaveDelayMs ?? 500;
  if (!(stateSaveDelayMs >= 0)) throw new Error(`Invalid stateSaveDelayMs: ${stateSaveDelayMs}`);
  const oauthClients = (o.oauthClients ?? [DEFAULT_OAUTH_CLIENT]).map((c) => ({ ...c }));
  if (oauthClients.some((c) => !c.clientId || !c.clientSecret)) {
    throw new Error('OAuth clients need an id and a secret');
  }
  if (new Set(oauthClients.map((c) => c.clientId)).size < oauthClients.length) {
    throw new Error('OAuth client ids must be unique');
  }
  const accessTokenTtlSeconds = o.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(accessTokenTtlSeconds) || accessTokenTtlSeconds < 1) {
    throw new Error(`Invalid accessTokenTtlSeconds: ${accessTokenTtlSeconds} (a positive whole number of seconds)`);
  }
  return {
    port: o.port ?? 0,
    host: o.host ?? '127.0.0.1',
    apiKeys: new Set(apiKeys),
    accessTokens: new Set(o.accessTokens ?? []),
    authenticate: o.authenticate,
    currency: (o.currency ?? 'USD').toUpperCase(),
    locale: o.locale ?? 'en-US',
    throttle: typeof o.throttle === 'string' ? parseRateLimitSpec(o.throttle) : { ...o.throttle },
    latencyMs,
    manualPaymentTypes: new Set(o.manualPaymentTypes ?? DEFAULT_MANUAL_PAYMENT_TYPES),
    tenantId: o.tenantId ?? 'sandbox',
    allowRemoteAdmin: o.allowRemoteAdmin ?? false,
    maxBodyBytes: o.maxBodyBytes ?? 10 * 1024 * 1024,
    stateFile: o.stateFile === undefined ? undefined : resolve(o.stateFile),
    stateSaveDelayMs,
    oauthClients,
    accessTokenTtlSeconds,
  };
}
