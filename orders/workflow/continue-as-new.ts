/**
 * Long orders (subscriptions for years, long plans) continue as new before their history grows too
 * long, carrying everything the next run needs: the order, the lifecycle, the inbox and its dedupe.
 */
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { OrderLifecycle } from '../order';
import type { CarriedOrderState, OrderWorkflowArgs } from './definitions';

/**
 * A run whose Keap step waits for a reconnect continues as new at this many events (RECONNECT_BACKOFF):
 * it is idle, so a new run costs nothing, and a year of waiting stays a series of short histories.
 */
export const PARKED_CONTINUE_AS_NEW_EVENTS = 1_000;

/**
 * Continues as new (carrying `carry()`) when the history is long; call between events, or with
 * `parked` while a parked step waits (which `carry()` then carries).
 */
export async function continueAsNewIfDue(
  args: OrderWorkflowArgs,
  carry: () => CarriedOrderState,
  { parked = false }: { parked?: boolean } = {},
): Promise<void> {
  const info = workflowInfo();
  const configured = args.continueAsNewAfterEvents;
  const limit = parked
    ? Math.min(configured ?? PARKED_CONTINUE_AS_NEW_EVENTS, PARKED_CONTINUE_AS_NEW_EVENTS)
    : configured;
  if (!info.continueAsNewSuggested && !(limit !== undefined && info.historyLength >= limit)) return;
  await condition(allHandlersFinished);
  // `carried` holds the order; the start's copy is not carried twice.
  await continueAsNew<(args: OrderWorkflowArgs) => Promise<OrderLifecycle>>({
    ...args,
    placed: undefined,
    carried: carry(),
  });
}
