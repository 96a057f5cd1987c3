/** The order workflow's messages, shared by the workflow and its clients (API, webhooks, tests). */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderLifecycle } from '../order';
import type { CancellationEvent, PaymentEvent, PaymentFailureEvent, RefundEvent } from '../order-events';
import type { OrderRequest } from '../order-schema';

/** Account settings an order works with, taken when the order is placed. */
export interface OrderSettings {
  /** Days after a due date before an unpaid installment or renewal turns the order PastDue. */
  gracePeriodDays: number;
  /** A Keap tag applied to the contact while the order is PastDue or PaymentFailed, and removed after. */
  pastDueTag?: string;
  /** False: the customer's email is not a search attribute (it then exists only encrypted). Absent means true. */
  emailSearchAttribute?: boolean;
}

export interface PlaceOrderRequest {
  order: OrderRequest;
  /** The account's toggle when the order arrived: off means acknowledge and do not write. */
  salesSyncEnabled: boolean;
  settings: OrderSettings;
  contentFingerprint: string;
  receivedAt: string;
}

export interface PlaceOrderResult {
  duplicate: boolean;
}

/** State carried into the next run by continue-as-new (long subscriptions and plans). */
export interface CarriedOrderState {
  placed: PlaceOrderRequest;
  lifecycle: OrderLifecycle;
  seenPaymentIds: string[];
  inbox: InboxEvent[];
  tagged: boolean;
  /** The chain went through a reset: every Keap write in later runs looks first (see OrderRun.resetRun). */
  afterReset?: boolean;
  /**
   * The order's first payment, while its first sale is unwritten: a run that continued as new while
   * that sale waited for a reconnect (RECONNECT_BACKOFF). The next run writes it as the first run would.
   */
  initial?: PaymentEvent;
  /** The Keap step that waited for a reconnect when the run continued as new (see ParkedStep). */
  parkedStep?: ParkedStep;
}

/**
 * A Keap step parked for a reconnect, carried into the next run (RECONNECT_BACKOFF). The next run
 * reaches the same step again (it re-handles the event the step belonged to, carried first in the
 * inbox, or writes the carried first payment): that first step looks before it writes, goes on from
 * what the failed tries wrote, and keeps backing off from where the wait was.
 */
export interface ParkedStep {
  /** The step's name (`writeKeapSale`, `recordKeapPayment`, `tagContact`, ...). */
  step: string;
  /** What a `writeKeapSale` had written before it failed. */
  progress?: SaleProgress;
  /** Re-checks already waited (the backoff goes on from there). */
  rechecks: number;
}

export interface OrderWorkflowArgs {
  accountId: string;
  orderId: string;
  /**
   * The order, when the API started the workflow with it (a new order: one start, no update). A
   * workflow that already runs (a payment came first) gets its order by the `placeOrder` update.
   */
  placed?: PlaceOrderRequest;
  carried?: CarriedOrderState;
  /**
   * A closed order run again for events that came after it ended (a late refund, a final invoice,
   * a redelivery): the order as placed, and the closed run's lifecycle while its history exists.
   */
  reopened?: ReopenedOrder;
  /** Continue-as-new once history reaches this many events (Temporal's own suggestion also counts). */
  continueAsNewAfterEvents?: number;
}

export interface ReopenedOrder {
  placed: PlaceOrderRequest;
  /** Absent when the closed run's history is gone (retention): Keap's records then come from the ledger. */
  lifecycle?: OrderLifecycle;
  /** How long the run waits for more late events before it closes again (default 10 minutes). */
  quietMs?: number;
}

/** A Keap order as the order's activities answer it (`createKeapOrder`, `getKeapOrder`, `writeKeapSale`). */
export interface KeapOrderSnapshot {
  keapOrderId: string;
  /** Minor units. */
  total: number;
  totalPaid: number;
  /** False when an earlier attempt (or run) had already created it. */
  created: boolean;
  /**
   * Created by Sales Sync, as the ledger of Keap writes records: every payment written on it since is
   * in the ledger too, so one the ledger does not know was never sent.
   */
  recorded?: boolean;
}

/** What a sale wrote before it failed; the workflow hands it back so a retry does not redo it. */
export interface SaleProgress {
  contactId?: string;
  keapOrder?: KeapOrderSnapshot;
}

/**
 * The step a `writeKeapSale` failed at (the names of the separate activities it replaces), and its
 * progress: the detail of its failure, which the workflow reads.
 */
export interface SaleFailureDetail {
  saleStep: SaleStep;
  progress: SaleProgress;
}

export type SaleStep = 'ensureProducts' | 'syncContact' | 'createKeapOrder' | 'recordKeapPayment';

export type InboxEvent =
  | { kind: 'payment'; payment: PaymentEvent }
  | { kind: 'payment_failed'; failure: PaymentFailureEvent }
  | { kind: 'cancelled'; cancellation: CancellationEvent };

/** Update-with-start target: hands the workflow its order; rejected (validator) on conflicting content. */
export const placeOrderUpdate = defineUpdate<PlaceOrderResult, [PlaceOrderRequest]>('placeOrder');
export const ORDER_CONFLICT_FAILURE = 'OrderConflict';

export const paymentSignal = defineSignal<[PaymentEvent]>('payment');
export const paymentFailedSignal = defineSignal<[PaymentFailureEvent]>('paymentFailed');
export const cancelSignal = defineSignal<[CancellationEvent]>('cancel');
export const refundSignal = defineSignal<[RefundEvent]>('refund');
/** An operator fixed what Keap rejected (NeedsAttention) and asks the order to try again. */
export const resumeSignal = defineSignal('resume');
/** The merchant reconnected Keap: orders waiting for it (WaitingForReconnect) try again now. */
export const keapReconnectedSignal = defineSignal('keapReconnected');

export const lifecycleQuery = defineQuery<OrderLifecycle>('lifecycle');

/** orderWorkflow's signature, for its client without importing the workflow (test/architecture.test.ts checks it). */
export type OrderWorkflow = (args: OrderWorkflowArgs) => Promise<OrderLifecycle>;

/** One workflow per order, its id derived from the order, so every door reaches it without a lookup. */
export function orderWorkflowId(accountId: string, orderId: string): string {
  return `order:${accountId}:${orderId}`;
}
