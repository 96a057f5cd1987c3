/**
 * Pacing per Keap credential (an API key, or an OAuth connection) shared by every worker process
 * through the database (table keap_rate_limits): each call takes the next free slot of its
 * credential in one atomic statement, on the database's clock, so N workers on one Keap app send
 * at the app's rate, not N times it. What Keap's headers say (the rate, an empty window, a spent
 * quota, a 429) is read by keap/pacing.ts's `paceFromResponse` and written for all to see.
 */
import type { KeapCallLimiter } from '../keap/client';
import { abortableSleep, paceFromResponse } from '../keap/pacing';
import type { Database } from '../platform/database';

/** The share of Keap's reported rate to use: a little headroom absorbs clock skew and bursts. */
const HEADROOM = 0.95;

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

  /** Waits for this call's slot; slots are handed out in order across every process. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const [row] = await this.db.query<{ slot: number; now: number }>(
      `INSERT INTO keap_rate_limits AS r (credential_key, spacing_ms, next_slot_ms)
       VALUES ($1, $2::float8, (extract(epoch FROM statement_timestamp()) * 1000)::float8 + $2::float8)
       ON CONFLICT (credential_key) DO UPDATE
         SET next_slot_ms = GREATEST(r.next_slot_ms, (extract(epoch FROM statement_timestamp()) * 1000)::float8, r.paused_until_ms)
               + COALESCE($3::float8, r.spacing_ms),
             spacing_ms = COALESCE($3::float8, r.spacing_ms),
             updated_at = now()
       RETURNING r.next_slot_ms - r.spacing_ms AS slot, (extract(epoch FROM statement_timestamp()) * 1000)::float8 AS now`,
      [this.credentialKey, this.spacingMs, this.learnedSpacingMs],
    );
    const wait = row ? row.slot - row.now : 0;
    if (wait > 0) await abortableSleep(wait, signal);
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
