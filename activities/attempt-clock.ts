/**
 * When each activity attempt began, per attempt's Context: the clock of the "no writes in the last
 * seconds of an attempt" cutoff (activities/keap-access.ts). The worker notes it the moment it builds
 * the attempt's Context (an activity interceptor, workers/worker.ts), before the activity does
 * anything; a Context it did not note (a test's mock) is noted at its first Keap session's start,
 * still before any OAuth refresh that session makes.
 *
 * Not Temporal's `currentAttemptScheduledTimestampMs`: the start-to-close timeout runs from when a
 * worker took the task, and a task that waited in a busy queue would find its write time spent
 * before it began, refusing every write of every attempt until the queue drained.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

const starts = new WeakMap<Context, number>();

/** Notes that `context`'s attempt starts now, unless its start is already known. */
export function noteAttemptStart(context: Context, now: number = Date.now()): number {
  const known = starts.get(context);
  if (known !== undefined) return known;
  starts.set(context, now);
  return now;
}

/** When `context`'s attempt started (noted now if nobody noted it before). */
export function attemptStartedAt(context: Context): number {
  return noteAttemptStart(context);
}

/** The worker's activity interceptor: notes each attempt's start as its Context is built. */
export const attemptClockInterceptor: ActivityInterceptorsFactory = (context) => {
  noteAttemptStart(context);
  return {};
};
