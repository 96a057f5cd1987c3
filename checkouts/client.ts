/**
 * The API's door to checkout product sync. A publish stores the checkout as its next version, then
 * hands it to the checkout's workflow (signal-with-start, id `checkout:{accountId}:{checkoutId}`),
 * which syncs the latest stored version into Keap. A resync starts `resync:{accountId}:{uuid}`,
 * which asks every stored checkout's workflow to sync again. Other API code (the Sales Sync toggle)
 * calls `publish` and `resyncAll`.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { CheckoutStore } from './store';
import { signalCheckoutPublished } from './sync-client';
import type { CheckoutView, StoredCheckout } from './checkout';
import { checkoutView, resyncWorkflowId } from './checkout';
import type { CheckoutPut } from './checkout-schema';
import { checkoutSku } from './checkout-schema';
import type { CheckoutResyncWorkflowArgs, ResyncProgress } from './workflow/definitions';
import { resyncProgressQuery } from './workflow/definitions';
import type { checkoutResyncWorkflow } from './workflow/checkout-resync-workflow';
import { SA_ACCOUNT_ID, SA_STATUS } from '../workflows/support/search-attributes';

export interface CheckoutGatewayOptions {
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

export class CheckoutGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    readonly store: CheckoutStore,
    private readonly options: CheckoutGatewayOptions = {},
  ) {}

  private signal(stored: StoredCheckout): Promise<string> {
    return signalCheckoutPublished({
      client: this.client,
      taskQueue: this.taskQueue,
      stored,
      quietPeriodMs: this.options.quietPeriodMs,
    });
  }

  /** Stores `checkout` as the checkout's next version and hands it to the checkout's workflow. */
  async put(accountId: string, checkoutId: string, checkout: CheckoutPut): Promise<PublishOutcome> {
    const stored = await this.store.publish(accountId, checkoutId, {
      definition: checkout,
      sku: checkoutSku(accountId, checkoutId, checkout),
      skuDerived: checkout.sku === undefined,
      publishedAt: new Date().toISOString(),
    });
    const workflowId = await this.signal(stored);
    return { workflowId, version: stored.version, sku: stored.sku };
  }

  /**
   * Publishes the stored checkout again (its latest version, unchanged), e.g. once Sales Sync was
   * turned on. Undefined when the checkout was never published.
   */
  async publish(accountId: string, checkoutId: string): Promise<PublishOutcome | undefined> {
    const stored = await this.store.get(accountId, checkoutId);
    if (!stored) return undefined;
    const workflowId = await this.signal(stored);
    return { workflowId, version: stored.version, sku: stored.sku };
  }

  /** The stored checkout with its sync state, or undefined when it was never published. */
  async get(accountId: string, checkoutId: string): Promise<CheckoutView | undefined> {
    const stored = await this.store.get(accountId, checkoutId);
    if (!stored) return undefined;
    return checkoutView(stored, await this.store.getSync(accountId, checkoutId));
  }

  /** Starts a resync of every stored checkout of the account. */
  async resyncAll(accountId: string): Promise<ResyncStarted> {
    const resyncId = randomUUID();
    const workflowId = resyncWorkflowId(accountId, resyncId);
    const args: CheckoutResyncWorkflowArgs = { accountId, resyncId };
    if (this.options.resyncConcurrency !== undefined) args.concurrency = this.options.resyncConcurrency;
    await this.client.workflow.start<typeof checkoutResyncWorkflow>('checkoutResyncWorkflow', {
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
