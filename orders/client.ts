/**
 * The door to the order workflows (for the API, Stripe webhooks, tests). A new order starts its
 * workflow with the order as input; one whose workflow already runs is handed to it by
 * update-with-start (one workflow per order, id derived from the order, so every door reaches it
 * without a lookup); payments and other events by signal-with-start, so an event that beats its order
 * is held. A repeat of the same order is harmless; the same order id with different content is a
 * conflict. Workflow types come from the definitions module, never the workflow files.
 */
import type { Client } from '@temporalio/client';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Account } from '../accounts/account';
import { contentFingerprint } from '../common/canonical-json';
import { formatMoney } from '../common/money';
import type { OrderLifecycle } from './order';
import { orderTotal } from './order';
import type { OrderRegistry } from './registry';
import type { OrderEvent } from './order-events';
import type { OrderRequest } from './order-schema';
import type { OrderWorkflow, OrderWorkflowArgs, PlaceOrderRequest } from './workflow/definitions';
import {
  cancelSignal,
  keapReconnectedSignal,
  lifecycleQuery,
  ORDER_CONFLICT_FAILURE,
  orderWorkflowId,
  paymentFailedSignal,
  paymentSignal,
  placeOrderUpdate,
  refundSignal,
  resumeSignal,
} from './workflow/definitions';
import { SA_ACCOUNT_ID, SA_CUSTOMER_EMAIL, SA_PLAN_TYPE, SA_STATUS } from '../workflows/support/search-attributes';

export type SubmitOutcome = 'started' | 'duplicate' | 'conflict';
/** 'closed': the order's workflow has ended (paid, cancelled); the event changes nothing. */
export type DeliverOutcome = 'delivered' | 'closed';

function summaryOf(order: OrderRequest): string {
  const plan = order.plan;
  const money = (n: number) => formatMoney(n, order.currency);
  switch (plan.type) {
    case 'one_time':
      return `One-time order ${order.orderId} · ${money(orderTotal(order))}`;
    case 'payment_plan':
      return `Payment plan ${order.orderId} · ${plan.installments} × ${money(plan.installmentAmount)} every ${plan.intervalCount} ${plan.interval}(s)`;
    case 'subscription':
      return `Subscription ${order.orderId} · ${money(plan.amount)} every ${plan.intervalCount} ${plan.interval}(s)${plan.trialDays ? ` after a ${plan.trialDays}-day trial` : ''}`;
  }
}

/** The order workflow's signal for each kind of event. */
function signalFor(event: OrderEvent): { signal: string; arg: unknown } {
  switch (event.kind) {
    case 'payment':
      return { signal: paymentSignal.name, arg: event.payment };
    case 'payment_failed':
      return { signal: paymentFailedSignal.name, arg: event.failure };
    case 'cancelled':
      return { signal: cancelSignal.name, arg: event.cancellation };
    case 'refund':
      return { signal: refundSignal.name, arg: event.refund };
  }
}

export class OrderClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly workflowOptions: Pick<OrderWorkflowArgs, 'continueAsNewAfterEvents'> = {},
    private readonly indexing: { emailSearchAttribute: boolean } = { emailSearchAttribute: true },
    /** Orders placed before, kept beyond Temporal's retention (the API always has it). */
    private readonly registry?: OrderRegistry,
  ) {}

  /** Whether the workflow's history still exists (closed ones go after the namespace's retention). */
  private async workflowExists(workflowId: string): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(workflowId).describe();
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  private args(accountId: string, orderId: string): OrderWorkflowArgs {
    return { accountId, orderId, ...this.workflowOptions };
  }

  async submit(account: Account, order: OrderRequest): Promise<{ outcome: SubmitOutcome; workflowId: string }> {
    const workflowId = orderWorkflowId(account.accountId, order.orderId);
    const fingerprint = contentFingerprint(order);
    const registered = await this.registry?.get(account.accountId, order.orderId);
    if (registered?.placedAt) {
      // Placed before: the same content is a repeat, other content a conflict, whether or not the
      // workflow's history still exists; a repeat never starts the order's life over.
      if (registered.contentFingerprint !== fingerprint) return { outcome: 'conflict', workflowId };
      if (!(await this.workflowExists(workflowId))) return { outcome: 'duplicate', workflowId };
    } else {
      await this.registry?.register(account.accountId, order.orderId, workflowId, fingerprint);
    }
    const outcome = await this.place(account, order, workflowId, fingerprint);
    if (outcome !== 'conflict') await this.registry?.placed(account.accountId, order.orderId);
    return { outcome, workflowId };
  }

  /** Hands the order to Temporal: a new workflow, or the running one by update; a closed one is compared. */
  private async place(
    account: Account,
    order: OrderRequest,
    workflowId: string,
    fingerprint: string,
  ): Promise<SubmitOutcome> {
    const request: PlaceOrderRequest = {
      order,
      salesSyncEnabled: account.salesSyncEnabled,
      settings: {
        gracePeriodDays: account.gracePeriodDays,
        pastDueTag: account.pastDueTag,
        emailSearchAttribute: this.indexing.emailSearchAttribute,
      },
      contentFingerprint: fingerprint,
      receivedAt: new Date().toISOString(),
    };
    const startOptions = {
      workflowId,
      taskQueue: this.taskQueue,
      workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
      typedSearchAttributes: [
        { key: SA_ACCOUNT_ID, value: account.accountId },
        ...(this.indexing.emailSearchAttribute ? [{ key: SA_CUSTOMER_EMAIL, value: order.customer.email }] : []),
        { key: SA_PLAN_TYPE, value: order.plan.type },
        { key: SA_STATUS, value: 'Received' },
      ],
      staticSummary: summaryOf(order),
    };
    // Most orders are new: a start that carries the order is one Temporal action (update-with-start is
    // two), and the 202 needs only the server to persist it, not a worker to run the update.
    try {
      await this.client.workflow.start<OrderWorkflow>('orderWorkflow', {
        ...startOptions,
        args: [{ ...this.args(account.accountId, order.orderId), placed: request }],
      });
      return 'started';
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    // The workflow exists: a running one (started by an early payment, or a repeat post) receives the
    // order by update, whose validator answers duplicate or conflict; a closed one is compared below.
    const startWorkflowOperation = new WithStartWorkflowOperation<OrderWorkflow>('orderWorkflow', {
      ...startOptions,
      args: [this.args(account.accountId, order.orderId)],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    try {
      const result = await this.client.workflow.executeUpdateWithStart(placeOrderUpdate, {
        args: [request],
        startWorkflowOperation,
      });
      return result.duplicate ? 'duplicate' : 'started';
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
        if (error.cause.type === ORDER_CONFLICT_FAILURE) return 'conflict';
      }
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      // The order's workflow has closed: compare with the content it was given.
      const lifecycle = await this.lifecycle(account.accountId, order.orderId);
      const same = lifecycle?.contentFingerprint === request.contentFingerprint;
      return same ? 'duplicate' : 'conflict';
    }
  }

  /** Hands an event to its order's workflow, starting it if the order has not arrived yet. */
  async deliver(accountId: string, orderId: string, event: OrderEvent): Promise<DeliverOutcome> {
    const common = {
      workflowId: orderWorkflowId(accountId, orderId),
      taskQueue: this.taskQueue,
      args: [this.args(accountId, orderId)] as [OrderWorkflowArgs],
      workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
      typedSearchAttributes: [
        { key: SA_ACCOUNT_ID, value: accountId },
        { key: SA_STATUS, value: 'AwaitingOrder' },
      ],
      staticSummary: `Order ${orderId} (a payment event arrived before the order)`,
    };
    try {
      const { signal, arg } = signalFor(event);
      await this.client.workflow.signalWithStart<OrderWorkflow, [unknown]>('orderWorkflow', {
        ...common,
        signal,
        signalArgs: [arg],
      });
      return 'delivered';
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return 'closed';
      throw error;
    }
  }

  /** An operator fixed what Keap rejected: the order (in NeedsAttention) tries its step again. */
  async resume(accountId: string, orderId: string): Promise<'resumed' | 'not_waiting' | 'not_found'> {
    const lifecycle = await this.lifecycle(accountId, orderId);
    if (!lifecycle) return 'not_found';
    if (lifecycle.status !== 'NeedsAttention' && lifecycle.status !== 'WaitingForReconnect') return 'not_waiting';
    const handle = this.client.workflow.getHandle(orderWorkflowId(accountId, orderId));
    await handle.signal(lifecycle.status === 'NeedsAttention' ? resumeSignal : keapReconnectedSignal);
    return 'resumed';
  }

  /**
   * Wakes the account's orders that wait for a Keap reconnect. Visibility is eventually consistent,
   * so an order it misses re-checks by itself within 15 minutes.
   */
  async resumeWaitingOrders(accountId: string): Promise<number> {
    let resumed = 0;
    const query = `${SA_ACCOUNT_ID.name} = "${accountId}" AND ${SA_STATUS.name} = "WaitingForReconnect" AND ExecutionStatus = "Running"`;
    for await (const wf of this.client.workflow.list({ query })) {
      try {
        await this.client.workflow.getHandle(wf.workflowId).signal(keapReconnectedSignal);
        resumed += 1;
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }
    return resumed;
  }

  /** The lifecycle, or undefined when no such order workflow exists. */
  async lifecycle(accountId: string, orderId: string): Promise<OrderLifecycle | undefined> {
    try {
      return await this.client.workflow.getHandle(orderWorkflowId(accountId, orderId)).query(lifecycleQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }
}
