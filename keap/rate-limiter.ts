/**
 * Client-side pacing per Keap credential (an API key, or an OAuth connection), so steady load stays
 * under Keap's limits instead of bouncing off 429s. Calls are spaced evenly at a little under the
 * rate Keap's `x-keap-product-throttle-*` headers report (limit per interval × time unit); when a
 * window reports nothing available, calls pause until it resets, and an exhausted daily quota
 * (`x-keap-product-quota-*`) pauses them until its expiry time. One limiter per process: several
 * worker processes on one credential share Keap's limit, and the headers' `available` keeps them
 * honest. Owns the pacing only; the headers' time units are read by rate-headers.ts.
 */

import { timeUnitMs } from './rate-headers';

export interface RateLimiterOptions {
  /** Calls per second before Keap's headers say otherwise (API keys: 10/s; OAuth apps: 25/s spike arrest). */
  initialPerSecond: number;
  /** The share of Keap's reported rate to use: a little headroom absorbs clock skew. */
  headroom?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
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

export class KeapRateLimiter {
  private spacingMs: number;
  private nextSlot = 0;
  private lastSlot = Number.NEGATIVE_INFINITY;
  private pausedUntil = 0;
  private readonly headroom: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: RateLimiterOptions) {
    this.headroom = options.headroom ?? 0.95;
    this.spacingMs = 1000 / (options.initialPerSecond * this.headroom);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
  }

  /** Calls per second this limiter currently allows. */
  get perSecond(): number {
    return 1000 / this.spacingMs;
  }

  /** Waits for this call's slot. Slots are reserved in call order, so waiting callers never stampede. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot, this.pausedUntil);
    this.lastSlot = slot;
    this.nextSlot = slot + this.spacingMs;
    if (slot > now) await this.sleep(slot - now, signal);
  }

  /** Learns from a response's headers: the rate, an empty window, an exhausted quota, a 429. */
  observe(status: number, headers: Headers, retryAfterMs?: number): void {
    const now = this.now();
    const limit = Number(headers.get('x-keap-product-throttle-limit'));
    const interval = Number(headers.get('x-keap-product-throttle-interval') ?? '1');
    const unit = timeUnitMs(headers.get('x-keap-product-throttle-time-unit'));
    if (limit > 0 && interval > 0 && unit) {
      this.spacingMs = (interval * unit) / (limit * this.headroom);
      // Slots already handed out at the old pace must not crowd the new one.
      this.nextSlot = Math.max(this.nextSlot, this.lastSlot + this.spacingMs);
    }
    const available = headers.get('x-keap-product-throttle-available');
    if (available !== null && Number(available) <= 0 && unit) {
      this.pausedUntil = Math.max(this.pausedUntil, now + interval * unit);
    }
    const quotaAvailable = headers.get('x-keap-product-quota-available');
    const quotaExpiry = Number(headers.get('x-keap-product-quota-expiry-time'));
    if (quotaAvailable !== null && Number(quotaAvailable) <= 0 && quotaExpiry > now) {
      this.pausedUntil = Math.max(this.pausedUntil, quotaExpiry);
    }
    if (status === 429) this.pausedUntil = Math.max(this.pausedUntil, now + (retryAfterMs ?? 1000));
  }
}

/** One limiter per credential key, created on first use. */
export class KeapRateLimiters {
  private readonly limiters = new Map<string, KeapRateLimiter>();

  for(key: string, initialPerSecond: number): KeapRateLimiter {
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new KeapRateLimiter({ initialPerSecond });
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}
