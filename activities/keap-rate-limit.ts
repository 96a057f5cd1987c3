/**
 * Pacing per Keap credential (an API key, or an OAuth connection) shared by every worker process
 * through the database (table keap_rate_limits): each call takes the next free slot of its
 * credential in one atomic statement, on the database's clock, so N workers on one Keap app send
 * at the app's rate, not N times it. What Keap's headers say (the rate, an empty window, a spent
 * quota, a 429) is read by keap/pacing.ts's `paceFromResponse` and written for all to see.
 */
import type { KeapCallLimiter } from '../keap/client';
import { KeapApiError } from '../keap/errors';
import { abortableSleep, paceFromResponse } from '../keap/pacing';
import type { Database } from '../platform/database';

/** The share of Keap's reported rate to use: a little headroom absorbs clock skew and bursts. */
const HEADROOM = 0.95;

/**
 * How far ahead a call may take its slot. A backlog beyond it does not queue inside activity attempts
 * (whose time would run out while they wait, leaving their slots unused behind them: congestion
 * collapse, and worker slots held by one merchant's waiting orders); the call ends its attempt with a
 * retryable "at capacity" and Temporal runs it again when the queue has moved on.
 */
export const RESERVE_AHEAD_MS = 3_000;

const NOW_MS = '(extract(epoch FROM statement_timestamp()) * 1000)::float8';

export class SharedKeapRateLimiter implements KeapCallLimiter {
  private spacingMs: number;
  /** The spacing this process learned from Keap's headers; every slot it takes carries it. */
  private learnedSpacingMs: number | null = null;

  constructor(
    private readonly db: Database,
    private readonly credentialKey: string,
    initialPerSecond: number,
  ) {
    this.spacingMs = 1000 / (initialPerSecond * HEADROOM);
  }

  /**
   * Waits for this call's slot, handed out in order across every process, when it is at most
   * RESERVE_AHEAD_MS away; otherwise takes none and throws a retryable rate_limited KeapApiError that
   * says when the queue will have room. A `continuing` call (its sale is part-way done) always takes
   * its slot: orders under way finish first, and new ones start only while the queue is short, so the
   * app's calls go to orders that complete instead of to many that each get one call.
   */
  async acquire(signal?: AbortSignal, continuing = false): Promise<void> {
    const [row] = await this.db.query<{ slot: number; now: number }>(
      `INSERT INTO keap_rate_limits AS r (credential_key, spacing_ms, next_slot_ms)
       VALUES ($1, $2::float8, ${NOW_MS} + $2::float8)
       ON CONFLICT (credential_key) DO UPDATE
         SET next_slot_ms = GREATEST(r.next_slot_ms, ${NOW_MS}, r.paused_until_ms) + COALESCE($3::float8, r.spacing_ms),
             spacing_ms = COALESCE($3::float8, r.spacing_ms),
             updated_at = now()
         WHERE $5::boolean OR GREATEST(r.next_slot_ms, r.paused_until_ms) <= ${NOW_MS} + $4::float8
       RETURNING r.next_slot_ms - r.spacing_ms AS slot, ${NOW_MS} AS now`,
      [this.credentialKey, this.spacingMs, this.learnedSpacingMs, RESERVE_AHEAD_MS, continuing],
    );
    if (row) {
      const wait = row.slot - row.now;
      if (wait > 0) await abortableSleep(wait, signal);
      return;
    }
    const [queue] = await this.db.query<{ wait: number }>(
      `SELECT GREATEST(next_slot_ms, paused_until_ms) - ${NOW_MS} AS wait FROM keap_rate_limits WHERE credential_key = $1`,
      [this.credentialKey],
    );
    const ahead = Math.max(0, (queue?.wait ?? 0) - RESERVE_AHEAD_MS);
    // Come back as the queue gets within reach, spread out so the waiting do not return at once.
    const retryAfterMs = Math.round(ahead + Math.random() * RESERVE_AHEAD_MS);
    throw new KeapApiError(
      'rate_limited',
      'pace',
      `Keap app at capacity: its calls are taken for the next ${Math.round((queue?.wait ?? 0) / 1000)} s`,
      undefined,
      retryAfterMs,
    );
  }

  /** Learns from a response; writes only what changes the pace, so most calls cost one statement. */
  observe(status: number, headers: Headers, retryAfterMs?: number): void {
    const now = Date.now();
    const pace = paceFromResponse(status, headers, retryAfterMs, now, HEADROOM);
    const spacing = pace.spacingMs !== undefined && pace.spacingMs !== this.spacingMs ? pace.spacingMs : undefined;
    if (spacing === undefined && pace.pauseUntil === undefined) return;
    if (spacing !== undefined) this.spacingMs = this.learnedSpacingMs = spacing;
    // A pause is sent as a duration, so this host's clock never meets the database's.
    const pauseMs = pace.pauseUntil === undefined ? null : Math.max(0, pace.pauseUntil - now);
    void this.db
      .query(
        `UPDATE keap_rate_limits
            SET spacing_ms = COALESCE($2::float8, spacing_ms),
                paused_until_ms = GREATEST(paused_until_ms,
                  COALESCE((extract(epoch FROM statement_timestamp()) * 1000)::float8 + $3::float8, 0)),
                updated_at = now()
          WHERE credential_key = $1`,
        [this.credentialKey, spacing ?? null, pauseMs],
      )
      .catch(() => undefined); // Pacing is advice: a lost update costs at most a 429, which is retried.
  }
}
