/**
 * The one mapping from Keap HTTP outcomes to errors. Network trouble, 5xx and 429 are retryable
 * (429 waits as long as Keap's headers say); other 4xx are not, and carry Keap's own message so an
 * operator can act on it. Owns the Keap error types, one root (KeapApiError; a refused OAuth grant is
 * its InvalidGrantError): turning them into Temporal failures is activities/keap-failures.ts's job,
 * so keap/ knows nothing of Temporal.
 */
import { timeUnitMs } from './rate-headers';
import type { KeapErrorBody } from './types';

export type KeapErrorKind =
  | 'network'
  | 'timeout'
  | 'rate_limited'
  | 'server'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'invalid'
  /** The OAuth token endpoint refused a code or refresh token (InvalidGrantError). */
  | 'invalid_grant';

const RETRYABLE: ReadonlySet<KeapErrorKind> = new Set(['network', 'timeout', 'rate_limited', 'server']);

/** The root of every error the Keap client throws; `kind` says what went wrong. */
export class KeapApiError extends Error {
  override readonly name: string = 'KeapApiError';
  readonly retryable: boolean;

  constructor(
    readonly kind: KeapErrorKind,
    readonly operation: string,
    message: string,
    readonly status?: number,
    /** How long Keap asked us to wait before trying again, when it said. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = RETRYABLE.has(kind);
  }
}

/**
 * Keap refused the grant: the authorization code was used or unknown, or the refresh token is
 * revoked or rotated away. Never retryable: the merchant must connect the account again.
 */
export class InvalidGrantError extends KeapApiError {
  override readonly name: string = 'InvalidGrantError';

  constructor(operation: string, message: string, status?: number) {
    super('invalid_grant', operation, message, status);
  }
}

function kindForStatus(status: number): KeapErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  return 'invalid';
}

const MAX_HONOURED_WAIT_MS = 24 * 60 * 60 * 1000;

/**
 * How long to wait after a 429, from (in order) `Retry-After`, then Keap's throttle and quota
 * headers: when a window's `-available` is 0, wait one `-interval` of `-time-unit`.
 */
export function retryDelayFromHeaders(headers: Headers, now: number = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now;
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_HONOURED_WAIT_MS);
  }
  let wait: number | undefined;
  for (const window of ['throttle', 'quota'] as const) {
    const available = headers.get(`x-keap-product-${window}-available`);
    if (available === null || Number(available) > 0) continue;
    const interval = Number(headers.get(`x-keap-product-${window}-interval`) ?? '1');
    const unit = timeUnitMs(headers.get(`x-keap-product-${window}-time-unit`));
    if (unit !== undefined && Number.isFinite(interval) && interval > 0) {
      wait = Math.max(wait ?? 0, interval * unit);
    }
  }
  return wait === undefined ? undefined : Math.min(wait, MAX_HONOURED_WAIT_MS);
}

function describeBody(body: unknown): string | undefined {
  if (body && typeof body === 'object') {
    const { message, details } = body as KeapErrorBody;
    const detail = details
      ?.map((d) => [d.domain, d.resource].filter(Boolean).join(' '))
      .filter(Boolean)
      .join('; ');
    if (message) return detail ? `${message} (${detail})` : message;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 500);
  return undefined;
}

export function errorFromResponse(operation: string, status: number, body: unknown, headers: Headers): KeapApiError {
  const kind = kindForStatus(status);
  const keapMessage = describeBody(body) ?? `HTTP ${status}`;
  const retryAfterMs = kind === 'rate_limited' ? (retryDelayFromHeaders(headers) ?? 1000) : undefined;
  return new KeapApiError(
    kind,
    operation,
    `Keap ${operation} failed with ${status}: ${keapMessage}`,
    status,
    retryAfterMs,
  );
}

export function errorFromFetchFailure(operation: string, error: unknown, timedOut: boolean): KeapApiError {
  const reason = error instanceof Error ? error.message : String(error);
  return timedOut
    ? new KeapApiError('timeout', operation, `Keap ${operation} timed out`, undefined, undefined, { cause: error })
    : new KeapApiError(
        'network',
        operation,
        `Keap ${operation} could not be reached: ${reason}`,
        undefined,
        undefined,
        {
          cause: error,
        },
      );
}
