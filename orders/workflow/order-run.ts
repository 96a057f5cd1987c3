/**
 * The state and mechanics one order workflow run shares across lifecycles: the inbox of events
 * (deduplicated by payment id, in arrival order), status and search attributes, Keap steps that
 * park in NeedsAttention on rejection, the Keap writes, past-due tagging, and continue-as-new.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { KEAP_FAILURE_TYPE } from '../../common/failure-types';
import { formatMoney } from '../../common/money';
import type { OrderLifecycle, OrderStatus, RecordedPayment } from '../order';
import { keapOrderKey } from '../order';
import type { PaymentEvent, PaymentFailureEvent } from '../order-events';
import type { LineItem } from '../order-schema';
import type { KeapOrderSnapshot } from '../activities/keap-orders';
import type { SaleFailureDetail, SaleProgress } from '../activities/sales';
import { keap } from '../../workflows/support/activity-proxies';
import type { CarriedOrderState, InboxEvent, OrderWorkflowArgs, PlaceOrderRequest } from './definitions';
import {
  cancelSignal,
  keapReconnectedSignal,
  lifecycleQuery,
  ORDER_CONFLICT_FAILURE,
  paymentFailedSignal,
  paymentSignal,
  placeOrderUpdate,
  refundSignal,
  resumeSignal,
} from './definitions';
import {
  SA_CUSTOMER_EMAIL,
  SA_KEAP_ORDER_ID,
  SA_PLAN_TYPE,
  SA_STATUS,
} from '../../workflows/support/search-attributes';

function nowIso(): string {
  return new Date().toISOString(); // Deterministic in workflows: the workflow task's time.
}

function rejectionMessage(error: ActivityFailure): string {
  const cause = error.cause;
  return cause instanceof ApplicationFailure ? cause.message : (cause?.message ?? error.message);
}

/** Where a `writeKeapSale` failed and what it had written, when the failure says (see orders/activities/sales.ts). */
function saleFailure(error: ActivityFailure): SaleFailureDetail | undefined {
  const details = error.cause instanceof ApplicationFailure ? error.cause.details : undefined;
  return details?.find((d): d is SaleFailureDetail => typeof d === 'object' && d !== null && 'saleStep' in d);
}

type OrderLine = Pick<LineItem, 'sku' | 'name' | 'quantity' | 'unitAmount' | 'checkoutId'>;

export class OrderRun {
  placed?: PlaceOrderRequest;
  readonly lifecycle: OrderLifecycle;
  private readonly inbox: InboxEvent[];
  private readonly seenPaymentIds: Set<string>;
  /** Whether the past-due tag is on the contact now. */
  private tagged: boolean;
  private resumeRequested = false;
  private reconnected = false;
  private lastSearchableStatus?: OrderStatus;
  /**
   * A reset run (an operator reset the workflow to an earlier point), or a later run of its chain:
   * activities before the reset point may have written to Keap, and payments they wrote may be carried
   * into later runs, so every Keap write looks first, even on its first try.
   */
  private readonly resetRun: boolean;

  constructor(private readonly args: OrderWorkflowArgs) {
    const info = workflowInfo();
    const carried = args.carried;
    this.resetRun =
      carried?.afterReset === true ||
      (info.originalExecutionRunId !== '' && info.originalExecutionRunId !== info.runId);
    // Like the update's handler: deadlines (trial end) run on workflow time, not the API host's clock.
    this.placed = carried?.placed ?? (args.placed && { ...args.placed, receivedAt: nowIso() });
    this.inbox = carried ? [...carried.inbox] : [];
    this.seenPaymentIds = new Set(carried?.seenPaymentIds);
    this.tagged = carried?.tagged ?? false;
    this.lifecycle = carried?.lifecycle ?? {
      workflowId: workflowInfo().workflowId,
      accountId: args.accountId,
      orderId: args.orderId,
      status: 'AwaitingOrder',
      total: 0,
      totalPaid: 0,
      balance: 0,
      keapOrderIds: [],
      payments: [],
      failures: [],
      refunds: [],
      ignoredPayments: [],
      updatedAt: nowIso(),
    };
    if (!carried && this.placed) this.lifecycle.contentFingerprint = this.placed.contentFingerprint;
    this.lastSearchableStatus = carried ? this.lifecycle.status : undefined;
    this.registerHandlers();
  }

  private registerHandlers(): void {
    setHandler(lifecycleQuery, () => this.lifecycle);
    setHandler(
      placeOrderUpdate,
      (request) => {
        if (this.placed) return { duplicate: true };
        // Deadlines (trial end) run on workflow time, not the API host's clock.
        this.placed = { ...request, receivedAt: nowIso() };
        this.lifecycle.contentFingerprint = request.contentFingerprint;
        return { duplicate: false };
      },
      {
        // Runs before the update is written to history: a conflicting order leaves no trace.
        validator: (request: PlaceOrderRequest) => {
          if (this.placed && this.placed.contentFingerprint !== request.contentFingerprint) {
            throw ApplicationFailure.create({
              type: ORDER_CONFLICT_FAILURE,
              message: `Order ${this.args.orderId} was already placed with different content`,
              nonRetryable: true,
            });
          }
        },
      },
    );
    setHandler(paymentSignal, (payment) => {
      if (this.seenPaymentIds.has(payment.id)) return;
      this.seenPaymentIds.add(payment.id);
      this.inbox.push({ kind: 'payment', payment });
    });
    setHandler(paymentFailedSignal, (failure) => {
      this.inbox.push({ kind: 'payment_failed', failure });
    });
    setHandler(cancelSignal, (cancellation) => {
      this.inbox.push({ kind: 'cancelled', cancellation });
    });
    setHandler(refundSignal, (refund) => {
      // Keap's API has no refund endpoint; refunds are recorded in the lifecycle (state only).
      // Stripe's charge.refunded repeats the charge id with a running total: keep the largest.
      const known = this.lifecycle.refunds.find((r) => r.id === refund.id);
      if (known) {
        if (refund.amount <= known.amount) return;
        known.amount = refund.amount;
        known.at = refund.at;
      } else {
        this.lifecycle.refunds.push(refund);
      }
      this.lifecycle.updatedAt = nowIso();
    });
    setHandler(resumeSignal, () => {
      this.resumeRequested = true;
    });
    setHandler(keapReconnectedSignal, () => {
      this.reconnected = true;
    });
  }

  /** Marks a payment id as handled (the order's own checkout payment), so a webhook copy is ignored. */
  claimPaymentId(id: string): boolean {
    if (this.seenPaymentIds.has(id)) return false;
    this.seenPaymentIds.add(id);
    return true;
  }

  /** Drops an already-queued copy of a payment (for example, a webhook that beat the order post). */
  takeQueuedPayment(id: string): PaymentEvent | undefined {
    const index = this.inbox.findIndex((e) => e.kind === 'payment' && e.payment.id === id);
    if (index < 0) return undefined;
    const [event] = this.inbox.splice(index, 1);
    return event?.kind === 'payment' ? event.payment : undefined;
  }

  /** The next event, or 'deadline' if none arrives before it; `summary` labels the timer in the UI. */
  async nextEvent(deadline?: string, summary?: string): Promise<InboxEvent | 'deadline'> {
    if (deadline === undefined) {
      await condition(() => this.inbox.length > 0);
    } else {
      const wait = Math.max(1, Date.parse(deadline) - Date.now());
      if (!(await condition(() => this.inbox.length > 0, wait, { summary }))) return 'deadline';
    }
    return this.inbox.shift() as InboxEvent;
  }

  async waitForOrder(): Promise<PlaceOrderRequest> {
    if (!this.placed) {
      this.setStatus('AwaitingOrder', 'a payment arrived before its order; waiting for the order');
      await condition(() => this.placed !== undefined);
    }
    return this.placed as PlaceOrderRequest;
  }

  /**
   * Sets status and UI details; one search-attribute upsert per change (each upsert is a billed action).
   * `searchable: false` keeps the status out of the search attribute unless `extra` must be upserted
   * anyway (a short-lived status such as Syncing, for which the start's `Received` stands).
   */
  setStatus(
    status: OrderStatus,
    details: string,
    extra: SearchAttributeUpdatePair[] = [],
    { searchable = true }: { searchable?: boolean } = {},
  ): void {
    this.lifecycle.status = status;
    this.lifecycle.updatedAt = nowIso();
    setCurrentDetails(`**${status}** · ${details}`);
    if (!searchable && extra.length === 0) return;
    if (status === this.lastSearchableStatus && extra.length === 0) return;
    this.lastSearchableStatus = status;
    upsertSearchAttributes([{ key: SA_STATUS, value: status }, ...extra]);
  }

  /** Search attributes only the order knows (when a payment started the workflow, the start could not set them). */
  orderSearchAttributes(): SearchAttributeUpdatePair[] {
    const order = this.placed?.order;
    if (!order) return [];
    const current = workflowInfo().typedSearchAttributes;
    const pairs: SearchAttributeUpdatePair[] = [];
    const indexEmail = this.placed?.settings.emailSearchAttribute !== false;
    if (indexEmail && current.get(SA_CUSTOMER_EMAIL) !== order.customer.email)
      pairs.push({ key: SA_CUSTOMER_EMAIL, value: order.customer.email });
    if (current.get(SA_PLAN_TYPE) !== order.plan.type) pairs.push({ key: SA_PLAN_TYPE, value: order.plan.type });
    return pairs;
  }

  /**
   * Runs one Keap step. A broken Keap connection waits in WaitingForReconnect until the merchant
   * reconnects (or, in case that signal is missed, re-checks every 15 minutes); any other rejection
   * waits in NeedsAttention for an operator's resume. Then the step tries again. `run` is told
   * whether an earlier try (or a run before a reset) may already have written, and `onFailure`
   * sees each failure before the order waits.
   */
  async step<T>(
    name: string,
    run: (again: boolean) => Promise<T>,
    onFailure?: (error: ActivityFailure) => void,
  ): Promise<T> {
    let again = this.resetRun;
    for (;;) {
      try {
        return await run(again);
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        again = true;
        onFailure?.(error);
        const stepName = saleFailure(error)?.saleStep ?? name;
        const before = this.lifecycle.status;
        const message = rejectionMessage(error);
        if (error.cause instanceof ApplicationFailure && error.cause.type === KEAP_FAILURE_TYPE.needsReconnect) {
          this.lifecycle.attention = { step: stepName, error: message, since: nowIso() };
          this.setStatus('WaitingForReconnect', `${stepName} is waiting for the Keap connection: ${message}`);
          this.reconnected = false;
          await condition(() => this.reconnected, '15 minutes', { summary: 'wait for the merchant to reconnect Keap' });
          this.lifecycle.attention = undefined;
          this.setStatus(before, `retrying ${stepName} on the Keap connection`);
          continue;
        }
        this.lifecycle.attention = { step: stepName, error: message, since: nowIso() };
        this.setStatus(
          'NeedsAttention',
          `${stepName} was rejected by Keap: ${message}. Fix the cause, then resume the order.`,
        );
        await condition(() => this.resumeRequested);
        this.resumeRequested = false;
        this.lifecycle.attention = undefined;
        this.setStatus(before, `resumed at ${stepName}`);
      }
    }
  }

  get accountId(): string {
    return this.args.accountId;
  }

  private get order() {
    return (this.placed as PlaceOrderRequest).order;
  }

  async syncContact(): Promise<string> {
    if (this.lifecycle.keapContactId) return this.lifecycle.keapContactId;
    const { contactId } = await this.step('syncContact', () =>
      keap.syncContact({ accountId: this.accountId, customer: this.order.customer }),
    );
    this.lifecycle.keapContactId = contactId;
    return contactId;
  }

  /**
   * Creates (or finds, on retry) one Keap order for these lines and records one payment on it.
   * `renewalOf` keys renewal orders by their payment, so each cycle is one order however often its
   * payment is delivered.
   */
  async writeOrder(lines: OrderLine[], title: string, renewalOf?: string) {
    const order = this.order;
    const contactId = await this.syncContact();
    const productIds = await this.step('ensureProducts', () =>
      keap.ensureProducts({
        accountId: this.accountId,
        items: lines.map(({ sku, name, unitAmount, checkoutId }) => ({ sku, name, unitAmount, checkoutId })),
      }),
    );
    return this.step('createKeapOrder', () =>
      keap.createKeapOrder({
        accountId: this.accountId,
        orderKey: keapOrderKey(this.accountId, order.orderId, renewalOf),
        contactId,
        title,
        orderTime: nowIso(),
        currency: order.currency,
        items: lines.map((line) => ({
          productId: productIds[line.sku] ?? '',
          name: line.name,
          quantity: line.quantity,
          unitAmount: line.unitAmount,
        })),
        shippingAddress: order.customer.address,
        recipient: {
          firstName: order.customer.firstName,
          lastName: order.customer.lastName,
          phone: order.customer.phone,
        },
      }),
    );
  }

  /**
   * One sale in one activity: the lines' products, the contact (unless known), one Keap order (keyed
   * like `writeOrder`'s) and its payment, recorded in the lifecycle. Returns the order and what is
   * paid on it. A failed try hands its progress to the next, so nothing written is written again.
   */
  async writeSale(
    lines: OrderLine[],
    title: string,
    payment: PaymentEvent,
    renewalOf?: string,
  ): Promise<{ keapOrder: KeapOrderSnapshot; paidOnOrder: number }> {
    const order = this.order;
    let done: SaleProgress | undefined;
    const sale = await this.step(
      'writeKeapSale',
      (again) => {
        const contactId = done?.contactId ?? this.lifecycle.keapContactId;
        return keap.writeKeapSale({
          accountId: this.accountId,
          contactId,
          customer: contactId ? undefined : order.customer,
          lines: lines.map(({ sku, name, quantity, unitAmount, checkoutId }) => ({
            sku,
            name,
            quantity,
            unitAmount,
            checkoutId,
          })),
          order: {
            orderKey: keapOrderKey(this.accountId, order.orderId, renewalOf),
            title,
            orderTime: nowIso(),
            currency: order.currency,
            shippingAddress: order.customer.address,
            recipient: {
              firstName: order.customer.firstName,
              lastName: order.customer.lastName,
              phone: order.customer.phone,
            },
          },
          payment: { id: payment.id, amount: payment.amount, paidAt: payment.paidAt },
          mayHaveWritten: again,
          done,
        });
      },
      (error) => {
        // Show what was written while the order waits, and do not write it again.
        const progress = saleFailure(error)?.progress;
        if (!progress) return;
        done = progress;
        if (progress.contactId) this.lifecycle.keapContactId = progress.contactId;
        if (progress.keapOrder) this.noteKeapOrder(progress.keapOrder.keapOrderId);
      },
    );
    this.lifecycle.keapContactId = sale.contactId;
    this.noteKeapOrder(sale.keapOrder.keapOrderId);
    this.lifecycle.payments.push({
      id: payment.id,
      amount: payment.amount,
      paidAt: payment.paidAt,
      sequence: payment.sequence,
      keapOrderId: sale.keapOrder.keapOrderId,
      keapPaymentId: sale.payment.keapPaymentId,
      recordedAt: nowIso(),
    });
    // Keap's own figure when the activity read it; otherwise the order was fresh and this is its only payment.
    const paidOnOrder = sale.payment.totalPaidAfter ?? sale.keapOrder.totalPaid + payment.amount;
    return { keapOrder: sale.keapOrder, paidOnOrder };
  }

  /**
   * Records a payment on a Keap order and in the lifecycle; returns what is paid on that order (Keap's
   * figure when the activity read it, else `keapOrder.totalPaid` plus this payment). With
   * `firstTryWritesBlind`, the first try of a payment this workflow has never tried before records it
   * without listing the order's payments (one Keap call instead of two).
   */
  async recordPayment(
    keapOrder: { keapOrderId: string; totalPaid: number; created: boolean },
    payment: PaymentEvent,
    { firstTryWritesBlind = false }: { firstTryWritesBlind?: boolean } = {},
  ): Promise<number> {
    const recorded = await this.step('recordKeapPayment', (again) =>
      keap.recordKeapPayment({
        accountId: this.accountId,
        keapOrderId: keapOrder.keapOrderId,
        currency: this.order.currency,
        payment: { id: payment.id, amount: payment.amount, paidAt: payment.paidAt },
        orderMayHavePayments: !keapOrder.created,
        ...(firstTryWritesBlind ? { mayBeRecorded: again } : {}),
      }),
    );
    const entry: RecordedPayment = {
      id: payment.id,
      amount: payment.amount,
      paidAt: payment.paidAt,
      sequence: payment.sequence,
      keapOrderId: keapOrder.keapOrderId,
      keapPaymentId: recorded.keapPaymentId,
      recordedAt: nowIso(),
    };
    this.lifecycle.payments.push(entry);
    // Keap's own figure when the activity read it; otherwise the order was fresh and this is its only payment.
    return recorded.totalPaidAfter ?? keapOrder.totalPaid + payment.amount;
  }

  noteKeapOrder(keapOrderId: string): void {
    if (!this.lifecycle.keapOrderId) this.lifecycle.keapOrderId = keapOrderId;
    if (!this.lifecycle.keapOrderIds.includes(keapOrderId)) this.lifecycle.keapOrderIds.push(keapOrderId);
  }

  /** Events still queued when the order ends are listed as ignored rather than silently dropped. */
  drainInbox(reason: string): void {
    for (const event of this.inbox.splice(0)) {
      if (event.kind === 'payment') this.ignorePayment(event.payment, reason);
    }
  }

  ignorePayment(payment: PaymentEvent, reason: string): void {
    this.lifecycle.ignoredPayments.push({ id: payment.id, reason });
    this.lifecycle.updatedAt = nowIso();
  }

  /** PastDue or PaymentFailed: visible status, and the account's tag on the Keap contact. */
  async markOverdue(status: 'PastDue' | 'PaymentFailed', details: string): Promise<void> {
    this.setStatus(status, details);
    const tagName = this.placed?.settings.pastDueTag;
    if (tagName && !this.tagged && this.lifecycle.keapContactId) {
      const contactId = this.lifecycle.keapContactId;
      await this.step('tagContact', () =>
        keap.tagContact({ accountId: this.accountId, contactId, tagName, action: 'apply' }),
      );
      this.tagged = true;
    }
  }

  /** A failed charge: listed in the lifecycle, and the order shows PaymentFailed (with the tag). */
  async paymentFailed(failure: PaymentFailureEvent, context: string): Promise<void> {
    const { id, amount, failedAt: at, reason } = failure;
    this.lifecycle.failures.push({ id, amount, at, reason });
    await this.markOverdue('PaymentFailed', `a charge of ${this.money(amount)} failed; ${context}`);
  }

  /** A payment arrived: clear the past-due tag if we applied it. */
  async clearOverdue(): Promise<void> {
    const tagName = this.placed?.settings.pastDueTag;
    if (tagName && this.tagged && this.lifecycle.keapContactId) {
      const contactId = this.lifecycle.keapContactId;
      await this.step('untagContact', () =>
        keap.tagContact({ accountId: this.accountId, contactId, tagName, action: 'remove' }),
      );
    }
    this.tagged = false;
  }

  get overdue(): boolean {
    return this.lifecycle.status === 'PastDue' || this.lifecycle.status === 'PaymentFailed';
  }

  money(amount: number): string {
    return formatMoney(amount, this.order.currency);
  }

  keapOrderSearchAttribute(keapOrderId: string): SearchAttributeUpdatePair[] {
    return [{ key: SA_KEAP_ORDER_ID, value: keapOrderId }];
  }

  /** Continues as new (carrying all state) when the history grows long; call between events. */
  async continueAsNewIfDue(): Promise<void> {
    const info = workflowInfo();
    const limit = this.args.continueAsNewAfterEvents;
    if (!info.continueAsNewSuggested && !(limit !== undefined && info.historyLength >= limit)) return;
    await condition(allHandlersFinished);
    const carried: CarriedOrderState = {
      placed: this.placed as PlaceOrderRequest,
      lifecycle: this.lifecycle,
      seenPaymentIds: [...this.seenPaymentIds],
      inbox: [...this.inbox],
      tagged: this.tagged,
      // A run after a continue-as-new no longer looks like a reset run; the chain stays careful.
      ...(this.resetRun ? { afterReset: true } : {}),
    };
    // `carried` holds the order; the start's copy is not carried twice.
    await continueAsNew<(args: OrderWorkflowArgs) => Promise<OrderLifecycle>>({
      ...this.args,
      placed: undefined,
      carried,
    });
  }
}
