/**
 * The door to the checkout workflows, for the API and for the resync workflow's activity. A publish
 * stores the checkout as its next version, then hands it to the checkout's workflow
 * (`signalPublished`), which syncs the latest stored version into Keap. A resync starts
 * `resync:{accountId}:{uuid}`, which asks every stored checkout's workflow to sync again (through its
 * activity, `signalPublished` again). Other API code (the Sales Sync toggle) calls `publish` and
 * `resyncAll`. Workflow types come from the definitions module, never the workflow files, so the
 * activity can use this door without an import circle.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { CheckoutStore } from './store';
import type { CheckoutView, StoredCheckout } from './checkout';
import { checkoutView } from './checkout';
import type { CheckoutPut } from './checkout-schema';
import { checkoutSku } from './checkout-schema';
import type {
  CheckoutResyncWorkflow,
  CheckoutResyncWorkflowArgs,
  CheckoutSyncWorkflow,
  CheckoutSyncWorkflowArgs,
  PublishedSignal,
  ResyncProgress,
} from './workflow/definitions';
import { checkoutWorkflowId, publishedSignal, resyncProgressQuery, resyncWorkflowId } from './workflow/definitions';
import { SA_ACCOUNT_ID, SA_STATUS } from '../workflows/support/search-attributes';

export interface CheckoutClientOptions {
  /** How long a checkout's workflow waits for another publish before it completes (default 1 hour). */
  quietPeriodMs?: number;
  /** Checkouts a resync syncs at once (default 5). */
  resyncConcurrency?: number;
}

export interface PublishOutcome {
  workflowId: string;
  version: number;
  sku: string;
}

export interface ResyncStarted {
  resyncId: string;
  workflowId: string;
  statusUrl: string;
}

export const checkoutUrl = (accountId: string, checkoutId: string): string =>
  `/v1/accounts/${accountId}/checkouts/${checkoutId}`;
export const resyncUrl = (accountId: string, resyncId: string): string =>
  `/v1/accounts/${accountId}/resyncs/${resyncId}`;

export class CheckoutClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    readonly store: CheckoutStore,
    private readonly options: CheckoutClientOptions = {},
  ) {}

  /**
   * The one way a checkout's sync workflow is reached: signal-with-start `published` on
   * `checkout:{accountId}:{checkoutId}`. A running workflow takes the signal (and syncs the latest
   * stored version after its current sync); an idle or finished one is started anew, so publishes of
   * one checkout are always serialised by one workflow. `notifyWorkflowId`: a resync workflow to tell
   * once this request is synced (or has failed).
   */
  async signalPublished(stored: StoredCheckout, notifyWorkflowId?: string): Promise<string> {
    const workflowId = checkoutWorkflowId(stored.accountId, stored.checkoutId);
    const args: CheckoutSyncWorkflowArgs = { accountId: stored.accountId, checkoutId: stored.checkoutId };
    if (this.options.quietPeriodMs !== undefined) args.quietPeriodMs = this.options.quietPeriodMs;
    const signal: PublishedSignal = { version: stored.version };
    if (notifyWorkflowId) signal.notifyWorkflowId = notifyWorkflowId;
    await this.client.workflow.signalWithStart<CheckoutSyncWorkflow, [PublishedSignal]>('checkoutSyncWorkflow', {
      workflowId,
      taskQueue: this.taskQueue,
      args: [args],
      signal: publishedSignal,
      signalArgs: [signal],
      typedSearchAttributes: [
        { key: SA_ACCOUNT_ID, value: stored.accountId },
        { key: SA_STATUS, value: 'Pending' },
      ],
      staticSummary: `Checkout ${stored.checkoutId} → Keap product ${stored.sku}`,
    });
    return workflowId;
  }

  /** Stores `checkout` as the checkout's next version and hands it to the checkout's workflow. */
  async put(accountId: string, checkoutId: string, checkout: CheckoutPut): Promise<PublishOutcome> {
    const stored = await this.store.publish(accountId, checkoutId, {
      definition: checkout,
      sku: checkoutSku(accountId, checkoutId, checkout),
      skuDerived: checkout.sku === undefined,
      publishedAt: new Date().toISOString(),
    });
    const workflowId = await this.signalPublished(stored);
    return { workflowId, version: stored.version, sku: stored.sku };
  }

  /**
   * Publishes the stored checkout again (its latest version, unchanged), e.g. once Sales Sync was
   * turned on. Undefined when the checkout was never published.
   */
  async publish(accountId: string, checkoutId: string): Promise<PublishOutcome | undefined> {
    const stored = await this.store.get(accountId, checkoutId);
    if (!stored) return undefined;
    const workflowId = await this.signalPublished(stored);
    return { workflowId, version: stored.version, sku: stored.sku };
  }

  /** The stored checkout with its sync state, or undefined when it was never published. */
  async get(accountId: string, checkoutId: string): Promise<CheckoutView | undefined> {
    const stored = await this.store.get(accountId, checkoutId);
    if (!stored) return undefined;
    const sync = await this.store.getSync(accountId, checkoutId);
    return checkoutView(stored, sync, checkoutWorkflowId(stored.accountId, stored.checkoutId));
  }

  /** Starts a resync of every stored checkout of the account. */
  async resyncAll(accountId: string): Promise<ResyncStarted> {
    const resyncId = randomUUID();
    const workflowId = resyncWorkflowId(accountId, resyncId);
    const args: CheckoutResyncWorkflowArgs = { accountId, resyncId };
    if (this.options.resyncConcurrency !== undefined) args.concurrency = this.options.resyncConcurrency;
    await this.client.workflow.start<CheckoutResyncWorkflow>('checkoutResyncWorkflow', {
      workflowId,
      taskQueue: this.taskQueue,
      args: [args],
      typedSearchAttributes: [
        { key: SA_ACCOUNT_ID, value: accountId },
        { key: SA_STATUS, value: 'Running' },
      ],
      staticSummary: `Resync of every checkout product of account ${accountId}`,
    });
    return { resyncId, workflowId, statusUrl: resyncUrl(accountId, resyncId) };
  }

  /** A resync's progress, or undefined when there is no such resync. */
  async resyncProgress(accountId: string, resyncId: string): Promise<ResyncProgress | undefined> {
    try {
      return await this.client.workflow.getHandle(resyncWorkflowId(accountId, resyncId)).query(resyncProgressQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }
}
