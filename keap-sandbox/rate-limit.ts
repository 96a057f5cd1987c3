// Keap's gateway limits and the informational headers it returns on every call, per Keap's developer docs
// ("API Token Quota and Usage Measurements", developer.keap.com / developer.infusionsoft.com):
//   x-keap-product-quota-{limit,time-unit,interval,available,used,expiry-time}   daily quota (resets 00:00 UTC)
//   x-keap-product-throttle-{limit,time-unit,interval,available,used}            per-window throttle
// plus a per-second spike arrest "for which we do not return metrics" (live responses do carry
// `x-keap-product-spike-limit: 10ps`). Excess traffic gets HTTP 429. Keap's published limits: OAuth apps
// 1,500/min and 150,000/day (spike 25/s); API keys (PAT/SAK) 10/s, 240/min, 30,000/day.
//
// Limits are per credential. Windows are fixed and start at the first call after the previous window
// ended (deterministic for tests); the spike arrest is a token bucket. A rejected call is not counted.

export type TimeUnit = 'second' | 'minute' | 'hour';

export interface RateLimitOptions {
  /** Calls per throttle window (x-keap-product-throttle-*); undefined = not enforced. */
  limit?: number;
  /** Throttle window unit; Keap reports `minute`. Default minute. */
  timeUnit?: TimeUnit;
  /** Throttle window length in `timeUnit`s. Default 1. */
  interval?: number;
  /** Calls per UTC day (x-keap-product-quota-*); undefined = not enforced. */
  dailyQuota?: number;
  /** Spike arrest in calls per second; undefined = not enforced. */
  spikeArrestPerSecond?: number;
}

export const RATE_LIMIT_PRESETS: Readonly<Record<'api-key' | 'oauth' | 'off', RateLimitOptions>> = {
  'api-key': { limit: 240, timeUnit: 'minute', dailyQuota: 30_000, spikeArrestPerSecond: 10 },
  oauth: { limit: 1500, timeUnit: 'minute', dailyQuota: 150_000, spikeArrestPerSecond: 25 },
  off: {},
};

/** Reported (never reached) when a limit is not enforced, so clients that pace on `available` do not slow down. */
export const UNENFORCED_LIMIT = 1_000_000_000;

const UNIT_MS: Readonly<Record<TimeUnit, number>> = { second: 1000, minute: 60_000, hour: 3_600_000 };
const DAY_MS = 86_400_000;

/**
 * Parses a CLI/option spec: comma-separated parts, each a preset (`api-key`, `oauth`, `off`), a throttle
 * (`10/s`, `240/min`, `1000/h`), a daily quota (`30000/day`) or a spike arrest (`spike:25/s`).
 */
export function parseRateLimitSpec(spec: string): RateLimitOptions {
  const out: RateLimitOptions = {};
  for (const raw of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const preset = RATE_LIMIT_PRESETS[raw as keyof typeof RATE_LIMIT_PRESETS] as RateLimitOptions | undefined;
    if (preset) {
      Object.assign(out, preset);
      continue;
    }
    const m = /^(spike:)?(\d+)\s*\/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)$/i.exec(raw);
    if (!m) throw new Error(`Invalid rate limit '${raw}' (examples: 10/s, 240/min, 30000/day, spike:25/s, api-key)`);
    const count = Number(m[2]);
    const interval = m[3] ? Number(m[3]) : 1;
    const unit = (m[4] as string).toLowerCase();
    if (m[1]) {
      if (!unit.startsWith('s') || interval !== 1) throw new Error(`Spike arrest must be per second: '${raw}'`);
      out.spikeArrestPerSecond = count;
    } else if (unit.startsWith('d')) {
      if (interval !== 1) throw new Error(`Daily quota must be per 1 day: '${raw}'`);
      out.dailyQuota = count;
    } else {
      out.limit = count;
      out.interval = interval;
      out.timeUnit = unit.startsWith('s') ? 'second' : unit.startsWith('h') ? 'hour' : 'minute';
    }
  }
  return out;
}

interface Bucket {
  windowStart: number;
  windowUsed: number;
  day: number;
  dayUsed: number;
  spikeTokens: number;
  spikeAt: number;
}

export type RateLimitReason = 'quota' | 'throttle' | 'spike';

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  reason?: RateLimitReason;
  /** Seconds until a call would be accepted again (for Retry-After), when rejected. */
  retryAfterSeconds?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly windowMs: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly tenantId = 'sandbox',
    private readonly clock: () => number = Date.now,
  ) {
    this.windowMs = UNIT_MS[options.timeUnit ?? 'minute'] * (options.interval ?? 1);
    for (const [name, v] of Object.entries(options)) {
      if (typeof v === 'number' && (!Number.isInteger(v) || v < 0)) throw new Error(`Invalid rate limit ${name}: ${v}`);
    }
  }

  /** Counts a call if every limit allows it; otherwise rejects it without counting. */
  consume(credential: string): RateDecision {
    const now = this.clock();
    const b = this.bucket(credential, now);
    const o = this.options;
    if (o.dailyQuota !== undefined && b.dayUsed >= o.dailyQuota) {
      return this.reject(b, now, 'quota', Math.ceil(((b.day + 1) * DAY_MS - now) / 1000));
    }
    if (o.limit !== undefined && b.windowUsed >= o.limit) {
      return this.reject(b, now, 'throttle', Math.ceil((b.windowStart + this.windowMs - now) / 1000));
    }
    if (o.spikeArrestPerSecond !== undefined && b.spikeTokens < 1) {
      const wait = o.spikeArrestPerSecond > 0 ? (1 - b.spikeTokens) / o.spikeArrestPerSecond : 1;
      return this.reject(b, now, 'spike', Math.ceil(wait));
    }
    b.dayUsed++;
    b.windowUsed++;
    if (o.spikeArrestPerSecond !== undefined) b.spikeTokens -= 1;
    return { allowed: true, headers: this.headers(b) };
  }

  /** Current headers without counting a call (for injected 429s). */
  peek(credential: string): Record<string, string> {
    const now = this.clock();
    return this.headers(this.bucket(credential, now));
  }

  reset(): void {
    this.buckets.clear();
  }

  private reject(b: Bucket, now: number, reason: RateLimitReason, retryAfterSeconds: number): RateDecision {
    return { allowed: false, headers: this.headers(b), reason, retryAfterSeconds: Math.max(1, retryAfterSeconds) };
  }

  /** Returns the credential's bucket with expired windows rolled over and spike tokens refilled. */
  private bucket(credential: string, now: number): Bucket {
    const spikeCap = Math.max(1, this.options.spikeArrestPerSecond ?? 0);
    let b = this.buckets.get(credential);
    if (!b) {
      b = {
        windowStart: now,
        windowUsed: 0,
        day: Math.floor(now / DAY_MS),
        dayUsed: 0,
        spikeTokens: spikeCap,
        spikeAt: now,
      };
      this.buckets.set(credential, b);
    }
    if (now - b.windowStart >= this.windowMs) {
      b.windowStart = now;
      b.windowUsed = 0;
    }
    const day = Math.floor(now / DAY_MS);
    if (day !== b.day) {
      b.day = day;
      b.dayUsed = 0;
    }
    const rate = this.options.spikeArrestPerSecond;
    if (rate !== undefined) {
      b.spikeTokens = Math.min(spikeCap, b.spikeTokens + ((now - b.spikeAt) / 1000) * rate);
      b.spikeAt = now;
    }
    return b;
  }

  private headers(b: Bucket): Record<string, string> {
    const o = this.options;
    const quota = o.dailyQuota ?? UNENFORCED_LIMIT;
    const throttle = o.limit ?? UNENFORCED_LIMIT;
    const h: Record<string, string> = {
      'x-keap-product-quota-limit': String(quota),
      'x-keap-product-quota-time-unit': 'day',
      'x-keap-product-quota-interval': '1',
      'x-keap-product-quota-available': String(Math.max(0, quota - b.dayUsed)),
      'x-keap-product-quota-used': String(b.dayUsed),
      // Epoch milliseconds of the next 00:00 UTC, when the daily bucket resets.
      'x-keap-product-quota-expiry-time': String((b.day + 1) * DAY_MS),
      'x-keap-product-throttle-limit': String(throttle),
      'x-keap-product-throttle-time-unit': o.timeUnit ?? 'minute',
      'x-keap-product-throttle-interval': String(o.interval ?? 1),
      'x-keap-product-throttle-available': String(Math.max(0, throttle - b.windowUsed)),
      'x-keap-product-throttle-used': String(b.windowUsed),
      'x-keap-tenant-id': this.tenantId,
    };
    if (o.spikeArrestPerSecond !== undefined) h['x-keap-product-spike-limit'] = `${o.spikeArrestPerSecond}ps`;
    return h;
  }
}
