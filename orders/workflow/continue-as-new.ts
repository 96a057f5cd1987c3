/**
 * Long orders (subscriptions for years, long plans) continue as new before their history grows too
 * long, carrying everything the next run needs: the order, the lifecycle, the inbox and its dedupe.
 */
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { OrderLifecycle } from '../order';
import type { CarriedOrderState, OrderWorkflowArgs } from './definitions';

/** Continues as new (carrying `carry()`) when the history is long; call between events. */
export async function continueAsNewIfDue(args: OrderWorkflowArgs, carry: () => CarriedOrderState): Promise<void> {
  const info = workflowInfo();
  const limit = args.continueAsNewAfterEvents;
  if (!info.continueAsNewSuggested && !(limit !== undefined && info.historyLength >= limit)) return;
  await condition(allHandlersFinished);
  // `carried` holds the order; the start's copy is not carried twice.
  await continueAsNew<(args: OrderWorkflowArgs) => Promise<OrderLifecycle>>({
    ...args,
    placed: undefined,
    carried: carry(),
  });
}
