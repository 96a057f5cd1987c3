/**
 * Waiting out a Keap step that failed for good (its activity gave up): the workflow shows why and
 * waits for what can fix it, then the step runs again. Shared by orders and checkouts.
 */
import type { ActivityFailure } from '@temporalio/workflow';
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { KEAP_FAILURE_TYPE } from '../../common/failure-types';
import { nowIso } from './time';

export type ParkedStatus = 'NeedsAttention' | 'WaitingForReconnect';

export interface StepAttention {
  step: string;
  /** Keap's own message, or the failure's. */
  error: string;
  since: string;
}

/** A flag a signal raises and a waiter lowers once it has seen it. */
export class Latch {
  raised = false;

  raise(): void {
    this.raised = true;
  }
}

export function failureMessage(error: ActivityFailure): string {
  const cause = error.cause;
  return cause instanceof ApplicationFailure ? cause.message : (cause?.message ?? error.message);
}

function needsReconnect(error: ActivityFailure): boolean {
  return error.cause instanceof ApplicationFailure && error.cause.type === KEAP_FAILURE_TYPE.needsReconnect;
}

export interface ParkOptions {
  /** Shows the parked step (status, attention); may run activities or signals of its own. */
  park(status: ParkedStatus, attention: StepAttention): void | Promise<void>;
  /** An operator's resume signal. */
  resume: Latch;
  /** Something else that also ends a NeedsAttention wait (a checkout's new publish). */
  resumeWhen?: () => boolean;
  /**
   * The merchant's reconnect signal. Given, a broken connection waits in WaitingForReconnect and
   * re-checks after `recheckAfter` in case the signal is missed; absent, it waits like any rejection.
   */
  reconnect?: Latch;
  /** How long a broken connection waits for the reconnect signal before it re-checks (ms). Default 15 minutes. */
  recheckAfter?: number;
}

const RECHECK_FIRST_MS = 15 * 60_000;
const RECHECK_CAP_MS = 12 * 60 * 60_000;

/**
 * The wait before re-check number `rechecks` (0-based) of a step waiting for a reconnect: 15 minutes,
 * doubling to 12 hours. The merchant's reconnect signal ends any wait at once; the re-check is only
 * for a signal that was missed, so a long wait costs a few events a day, not ~1,300.
 */
export function reconnectRecheckMs(rechecks: number): number {
  return Math.min(RECHECK_FIRST_MS * 2 ** Math.min(rechecks, 16), RECHECK_CAP_MS);
}

/** Parks a rejected step until it may run again (a reconnect or the re-check, or a resume); says how it waited. */
export async function waitOutRejection(
  error: ActivityFailure,
  step: string,
  options: ParkOptions,
): Promise<ParkedStatus> {
  const attention: StepAttention = { step, error: failureMessage(error), since: nowIso() };
  const { reconnect, resume, resumeWhen } = options;
  if (reconnect && needsReconnect(error)) {
    await options.park('WaitingForReconnect', attention);
    reconnect.raised = false;
    await condition(() => reconnect.raised, options.recheckAfter ?? '15 minutes', {
      summary: 'wait for the merchant to reconnect Keap',
    });
    return 'WaitingForReconnect';
  }
  await options.park('NeedsAttention', attention);
  await condition(() => resume.raised || (resumeWhen?.() ?? false));
  resume.raised = false;
  return 'NeedsAttention';
}
