/**
 * The one way a checkout's sync workflow is reached, for the API (a publish) and for the resync
 * workflow's activity: signal-with-start `published` on `checkout:{accountId}:{checkoutId}`. A running
 * workflow takes the signal (and syncs the latest stored version after its current sync); an idle or
 * finished one is started anew, so publishes of one checkout are always serialised by one workflow.
 */
import type { Client } from '@temporalio/client';
import { checkoutWorkflowId } from './checkout';
import type { StoredCheckout } from './checkout';
import type { CheckoutSyncWorkflowArgs, PublishedSignal } from './workflow/definitions';
import { publishedSignal } from './workflow/definitions';
import type { checkoutSyncWorkflow } from './workflow/checkout-sync-workflow';
import { SA_ACCOUNT_ID, SA_STATUS } from '../workflows/support/search-attributes';

export interface SignalPublishedOptions {
  client: Client;
  taskQueue: string;
  stored: StoredCheckout;
  /** A resync workflow to tell once this request is synced (or has failed). */
  notifyWorkflowId?: string;
  /** Overrides the workflow's quiet period before it completes (tests). */
  quietPeriodMs?: number;
}

export async function signalCheckoutPublished(options: SignalPublishedOptions): Promise<string> {
  const { stored } = options;
  const workflowId = checkoutWorkflowId(stored.accountId, stored.checkoutId);
  const args: CheckoutSyncWorkflowArgs = { accountId: stored.accountId, checkoutId: stored.checkoutId };
  if (options.quietPeriodMs !== undefined) args.quietPeriodMs = options.quietPeriodMs;
  const signal: PublishedSignal = { version: stored.version };
  if (options.notifyWorkflowId) signal.notifyWorkflowId = options.notifyWorkflowId;
  await options.client.workflow.signalWithStart<typeof checkoutSyncWorkflow, [PublishedSignal]>(
    'checkoutSyncWorkflow',
    {
      workflowId,
      taskQueue: options.taskQueue,
      args: [args],
      signal: publishedSignal,
      signalArgs: [signal],
      typedSearchAttributes: [
        { key: SA_ACCOUNT_ID, value: stored.accountId },
        { key: SA_STATUS, value: 'Pending' },
      ],
      staticSummary: `Checkout ${stored.checkoutId} → Keap product ${stored.sku}`,
    },
  );
  return workflowId;
}
