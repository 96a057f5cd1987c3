/**
 * Keap's pacing, read from its responses: the rate its `x-keap-product-throttle-*` headers report
 * (limit per interval × time unit), a pause while a window has nothing available or the daily quota
 * (`x-keap-product-quota-*`) is spent, and after a 429. A limiter (activities/keap-rate-limit.ts
 * shares one per credential across processes) spaces calls by it. The headers' time units are read
 * by rate-headers.ts.
 */

import { timeUnitMs } from './rate-headers';

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What one Keap response says about pacing: the spacing between calls, and a pause until a time. */
export interface Pace {
  spacingMs?: number;
  pauseUntil?: number;
}

/**
 * Reads a response's pacing: the rate the throttle headers report (limit per interval × time unit,
 * less `headroom`), a pause when a window has nothing available or the daily quota is spent, and
 * after a 429. The one reading of these headers, for this limiter and any shared one.
 */
export function paceFromResponse(
  status: number,
  headers: Headers,
  retryAfterMs: number | undefined,
  now: number,
  headroom: number,
): Pace {
  const pace: Pace = {};
  const pauseUntil = (until: number) => {
    pace.pauseUntil = Math.max(pace.pauseUntil ?? 0, until);
  };
  const limit = Number(headers.get('x-keap-product-throttle-limit'));
  const interval = Number(headers.get('x-keap-product-throttle-interval') ?? '1');
  const unit = timeUnitMs(headers.get('x-keap-product-throttle-time-unit'));
  if (limit > 0 && interval > 0 && unit) pace.spacingMs = (interval * unit) / (limit * headroom);
  const available = headers.get('x-keap-product-throttle-available');
  if (available !== null && Number(available) <= 0 && unit) pauseUntil(now + interval * unit);
  const quotaAvailable = headers.get('x-keap-product-quota-available');
  const quotaExpiry = Number(headers.get('x-keap-product-quota-expiry-time'));
  if (quotaAvailable !== null && Number(quotaAvailable) <= 0 && quotaExpiry > now) pauseUntil(quotaExpiry);
  if (status === 429) pauseUntil(now + (retryAfterMs ?? 1000));
  return pace;
}
