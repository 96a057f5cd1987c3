/**
 * The one mapping from Keap client errors (keap/errors.ts) and anything else an activity throws to
 * Temporal activity failures. Owns the Temporal side of Keap trouble, so keap/ stays free of
 * Temporal: retryable Keap errors retry (a 429 after the wait Keap asked for), rejections do not,
 * a broken connection becomes KeapNeedsReconnect, which workflows wait on, and an unexpected error
 * that looks like a bug retries only so often before it stops too. Workflows match on
 * the types in common/failure-types.ts and read the details, so their shape must not change.
 */
import { ApplicationFailure } from '@temporalio/common';
import { KEAP_FAILURE_TYPE } from '../common/failure-types';
import { KeapApiError } from '../keap/errors';

export function needsReconnectFailure(accountId: string, reason: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `The Keap connection of account ${accountId} needs the merchant to reconnect: ${reason}`,
    type: KEAP_FAILURE_TYPE.needsReconnect,
    nonRetryable: true,
  });
}

/**
 * Attempts an unexpected error that looks like a bug gets before it stops retrying: with the order
 * steps' retry policy (1 s doubling, at most a minute apart) about 4 minutes, time for a passing fault to
 * pass, after which the step parks in NeedsAttention with the error instead of retrying without end.
 */
export const UNEXPECTED_ERROR_ATTEMPTS = 10;

/**
 * Environment trouble (a database or network outage) carries a code: Node's system errors
 * (ECONNREFUSED), the PostgreSQL driver's SQLSTATE, gRPC status codes. It heals by itself, so it
 * retries without bound; anything else unexpected (a TypeError, our own invariant errors) is a bug.
 */
function isEnvironmentTrouble(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number';
}

/**
 * Converts anything an activity throws while talking to Keap into the right Temporal failure.
 * `attempt` (the activity's attempt number, when the caller knows it) bounds the retries of an
 * unexpected error that looks like a bug (UNEXPECTED_ERROR_ATTEMPTS).
 */
export function toActivityFailure(error: unknown, attempt?: number): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof KeapApiError) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.retryable ? KEAP_FAILURE_TYPE.retryable : KEAP_FAILURE_TYPE.rejected,
      nonRetryable: !error.retryable,
      nextRetryDelay: error.retryAfterMs,
      details: [{ kind: error.kind, operation: error.operation, status: error.status ?? null }],
      cause: error,
    });
  }
  // Unknown errors are bugs or environment trouble: retry them, Temporal's backoff caps the cost; a bug
  // only so often, then it stops (the workflow parks the step, NeedsAttention, with the message).
  const message = error instanceof Error ? error.message : String(error);
  const giveUp = attempt !== undefined && attempt >= UNEXPECTED_ERROR_ATTEMPTS && !isEnvironmentTrouble(error);
  return ApplicationFailure.create({
    message: giveUp ? `${message} (an unexpected error, still there after ${attempt} attempts)` : message,
    type: 'UnexpectedError',
    nonRetryable: giveUp,
  });
}
