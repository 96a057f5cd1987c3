/**
 * The one mapping from Keap client errors (keap/errors.ts) and anything else an activity throws to
 * Temporal activity failures. Owns the Temporal side of Keap trouble, so keap/ stays free of
 * Temporal: retryable Keap errors retry (a 429 after the wait Keap asked for), rejections do not,
 * and a broken connection becomes KeapNeedsReconnect, which workflows wait on. Workflows match on
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

/** Converts anything an activity throws while talking to Keap into the right Temporal failure. */
export function toActivityFailure(error: unknown): ApplicationFailure {
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
  // Unknown errors are bugs or environment trouble: retry them, Temporal's backoff caps the cost.
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({ message, type: 'UnexpectedError', nonRetryable: false });
}
