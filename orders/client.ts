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
/**
 * 'closed': an ended order that cannot be run again for the event: placed before the order registry
 * existed, so the order as placed is unknown. Every other ended order records it (see `deliver`).
 */
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

/** Workflow options, e.g. shorter waits in tests. */
export interface OrderWorkflowOptions extends Pick<OrderWorkflowArgs, 'continueAsNewAfterEvents'> {
  /** How long an order run again for late events waits for more before it closes (default 10 minutes). */
  lateEventQuietMs?: number;
}

export class OrderClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly workflowOptions: OrderWorkflowOptions = {},
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
    const { continueAsNewAfterEvents } = this.workflowOptions;
    return { accountId, orderId, ...(continueAsNewAfterEvents !== undefined ? { continueAsNewAfterEvents } : {}) };
  }

  async submit(account: Account, order: OrderRequest): Promise<{ outcome: SubmitOutcome; workflowId: string }> {
    const workflowId = orderWorkflowId(account.accountId, order.orderId);
    const fingerprint = contentFingerprint(order);
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
    const registered = await this.registry?.get(account.accountId, order.orderId);
    if (registered?.placedAt) {
      // Placed before: the same content is a repeat, other content a conflict, whether or not the
      // workflow's history still exists; a repeat never starts the order's life over.
      if (registered.contentFingerprint !== fingerprint) return { outcome: 'conflict', workflowId };
      if (!(await this.workflowExists(workflowId))) return { outcome: 'duplicate', workflowId };
    } else {
      await this.registry?.register(account.accountId, order.orderId, workflowId, request);
    }
    const outcome = await this.place(account, request, workflowId);
    if (outcome !== 'conflict') await this.registry?.placed(account.accountId, order.orderId);
    return { outcome, workflowId };
  }

  /** Hands the order to Temporal: a new workflow, or the running one by update; a closed one is compared. */
  private async place(account: Account, request: PlaceOrderRequest, workflowId: string): Promise<SubmitOutcome> {
    const { order } = request;
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

  /**
   * Hands an event to its order's workflow: a placed order's running workflow, or, once it has ended
   * (even after its history was deleted), a run that records events that came after its end; an
   * order not placed yet gets its workflow started, holding the event until the order comes.
   */
  async deliver(accountId: string, orderId: string, event: OrderEvent): Promise<DeliverOutcome> {
    const workflowId = orderWorkflowId(accountId, orderId);
    const { signal, arg } = signalFor(event);
    const registered = await this.registry?.get(accountId, orderId);
    if (registered?.placedAt) {
      try {
        await this.client.workflow.getHandle(workflowId).signal(signal, arg);
        return 'delivered';
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
      if (registered.request) {
        await this.reopen(accountId, orderId, registered.request, { signal, arg });
        return 'delivered';
      }
      return 'closed';
    }
    try {
      await this.client.workflow.signalWithStart<OrderWorkflow, [unknown]>('orderWorkflow', {
        workflowId,
        taskQueue: this.taskQueue,
        args: [this.args(accountId, orderId)],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: SA_ACCOUNT_ID, value: accountId },
          { key: SA_STATUS, value: 'AwaitingOrder' },
        ],
        staticSummary: `Order ${orderId} (a payment event arrived before the order)`,
        signal,
        signalArgs: [arg],
      });
      return 'delivered';
    } catch (error) {
      // A closed order the registry never saw (placed before it existed): nothing to run it again with.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return 'closed';
      throw error;
    }
  }

  /**
   * Runs an ended order again for an event that came after its end, with the closed run's lifecycle
   * while its history exists. Another API process doing the same at once finds this run and signals it.
   */
  private async reopen(
    accountId: string,
    orderId: string,
    placed: PlaceOrderRequest,
    { signal, arg }: { signal: string; arg: unknown },
  ): Promise<void> {
    const workflowId = orderWorkflowId(accountId, orderId);
    const lifecycle = await this.closedLifecycle(workflowId);
    const { lateEventQuietMs } = this.workflowOptions;
    await this.client.workflow.signalWithStart<OrderWorkflow, [unknown]>('orderWorkflow', {
      workflowId,
      taskQueue: this.taskQueue,
      args: [
        {
          ...this.args(accountId, orderId),
          reopened: { placed, lifecycle, ...(lateEventQuietMs !== undefined ? { quietMs: lateEventQuietMs } : {}) },
        },
      ],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: SA_ACCOUNT_ID, value: accountId },
        { key: SA_PLAN_TYPE, value: placed.order.plan.type },
        { key: SA_STATUS, value: lifecycle?.status ?? 'Ended' },
      ],
      staticSummary: `${summaryOf(placed.order)} · events after its end`,
      signal,
      signalArgs: [arg],
    });
  }

  /** The lifecycle an ended run returned (or, for one that failed, its last state), while its history exists. */
  private async closedLifecycle(workflowId: string): Promise<OrderLifecycle | undefined> {
    const handle = this.client.workflow.getHandle<OrderWorkflow>(workflowId);
    try {
      const { status } = await handle.describe();
      // Reopened by another API process meanwhile: the start below finds that run and signals it.
      if (status.name === 'RUNNING') return undefined;
      if (status.name === 'COMPLETED') return await handle.result();
      return await handle.query(lifecycleQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
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
