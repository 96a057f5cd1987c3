/**
 * Failure type names an operator sees in the Temporal UI; activities raise them (through
 * activities/keap-failures.ts, the one mapping), workflows match on them. Dependency-free, so
 * workflow code can import it; keap/ does not, it knows nothing of Temporal.
 */
export const KEAP_FAILURE_TYPE = {
  retryable: 'KeapTransientError',
  rejected: 'KeapRejectedError',
  /** The account's Keap connection is broken (refused refresh, rejected key, disconnected): wait for a reconnect. */
  needsReconnect: 'KeapNeedsReconnect',
  /** The order's currency is not the one the Keap app keeps its books in: nothing is written; it waits. */
  currencyMismatch: 'KeapCurrencyMismatch',
} as const;
