/**
 * A step of an activity run again, within its attempt, on a transient Keap error (network, timeout,
 * 5xx, or a 429 whose wait is short): up to MAX_TRIES, with jittered backoff that honours Keap's own
 * wait, while the attempt has time. Every step wrapped this way goes through the ledger of Keap
 * writes, so a write whose answer was lost is looked up on the next try, never sent again. Anything
 * else, and a longer wait (an app at capacity), ends the attempt: Temporal retries it, and the next
 * attempt resumes from what was recorded.
 */
import { KeapApiError } from '../keap/errors';
import { abortableSleep } from '../keap/pacing';

const MAX_TRIES = 3;
const FIRST_BACKOFF_MS = 250;
/** A wait longer than this is not spent inside the attempt (and its activity slot). */
const MAX_INLINE_WAIT_MS = 2_000;

export async function retryTransient<T>(
  work: () => Promise<T>,
  { until, signal }: { until?: number; signal?: AbortSignal } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof KeapApiError) || !error.retryable || attempt >= MAX_TRIES) throw error;
      const asked = error.retryAfterMs;
      if (asked !== undefined && asked > MAX_INLINE_WAIT_MS) throw error;
      const backoff = (asked ?? FIRST_BACKOFF_MS * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);
      if (until !== undefined && Date.now() + backoff >= until) throw error;
      await abortableSleep(backoff, signal);
    }
  }
}
