/**
 * An order's Keap writes, each one a step that parks the order when Keap rejects it (NeedsAttention,
 * or WaitingForReconnect for a broken connection) and runs again once resumed. The one place the
 * ONE_ACTIVITY_PER_SALE patch branches: its old branch (four activities per sale) stays for
 * histories recorded before it; and RECONNECT_BACKOFF's (a re-check every 15 minutes).
 */
import { ActivityFailure, ApplicationFailure, patched } from '@temporalio/workflow';
import type { OrderLifecycle, OrderStatus, RecordedPayment } from '../order';
import { keapOrderKey } from '../order';
import type { PaymentEvent } from '../order-events';
import type { LineItem } from '../order-schema';
import { orderSteps } from '../../workflows/support/activity-proxies';
import type { Latch, ParkedStatus, StepAttention } from '../../workflows/support/keap-step';
import { reconnectRecheckMs, waitOutRejection } from '../../workflows/support/keap-step';
import { ONE_ACTIVITY_PER_SALE, RECONNECT_BACKOFF } from '../../workflows/support/patches';
import { nowIso } from '../../workflows/support/time';
import type { KeapOrderSnapshot, ParkedStep, PlaceOrderRequest, SaleFailureDetail, SaleProgress } from './definitions';
import type { OrderVisibility } from './visibility';
import { orderSearchAttributes } from './visibility';

export type OrderLine = Pick<LineItem, 'sku' | 'name' | 'quantity' | 'unitAmount' | 'checkoutId'>;

/** A Keap order as the lifecycles need it. */
export interface WrittenOrder {
  keapOrderId: string;
  total: number;
}

/** Where a `writeKeapSale` failed and what it had written, when the failure says (see orders/activities/sales.ts). */
function saleFailure(error: ActivityFailure): SaleFailureDetail | undefined {
  const details = error.cause instanceof ApplicationFailure ? error.cause.details : undefined;
  return details?.find((d): d is SaleFailureDetail => typeof d === 'object' && d !== null && 'saleStep' in d);
}

/**
 * How a step waiting for a reconnect continues as new (RECONNECT_BACKOFF), from the order run: the
 * step is carried only while it is the first of its event's handling (nothing of it is done yet, so
 * the next run can handle the event again from the start).
 */
export interface ParkedStepCarrier {
  /** How many events (or deadlines) this run has taken so far (Inbox.answered). */
  answered(): number;
  /** Whether the current event's handling can start over in a next run (Inbox.handlingCarriable). */
  carriable(): boolean;
  /** Continues as new carrying `step` when the history is long; returns when it is not. */
  continueAsNew(step: ParkedStep): Promise<void>;
  /** The step the run before carried, if it continued as new while one waited. */
  carried?: ParkedStep;
}

export class KeapWrites {
  private readonly accountId: string;
  /** The event count (ParkedStepCarrier.answered) when a step last succeeded; -1 before any. */
  private succeededAt = -1;
  /** The carried parked step, until this run's first step takes it. */
  private carriedStep: ParkedStep | undefined;

  constructor(
    private readonly placed: PlaceOrderRequest,
    private readonly lifecycle: OrderLifecycle,
    private readonly visibility: OrderVisibility,
    private readonly signals: { resume: Latch; reconnect: Latch },
    /**
     * A reset run (an operator reset the workflow to an earlier point), or a later run of its chain:
     * activities before the reset point may have written to Keap, so every write looks first, even on
     * its first try.
     */
    private readonly resetRun: boolean,
    private readonly carrier?: ParkedStepCarrier,
  ) {
    this.accountId = lifecycle.accountId;
    this.carriedStep = carrier?.carried;
  }

  /**
   * Runs one Keap step until it succeeds, parking the order after each rejection. `run` is told
   * whether an earlier try (or a run before a reset) may already have written; `onFailure` sees each
   * failure before the order waits.
   */
  async step<T>(
    name: string,
    run: (again: boolean) => Promise<T>,
    onFailure?: (error: ActivityFailure) => void,
    /** What a continue-as-new while this step waits must carry of its tries (writeKeapSale's progress). */
    progress?: () => SaleProgress | undefined,
  ): Promise<T> {
    // A step carried over from the run before (continued as new while it waited) may have written.
    const carried = this.carriedStep;
    this.carriedStep = undefined;
    let again = this.resetRun || carried !== undefined;
    let rechecks = carried?.rechecks ?? 0;
    /** RECONNECT_BACKOFF: the status before the step first waited, shown again once it succeeds. */
    let waitedFrom: { status: OrderStatus; step: string } | undefined;
    for (;;) {
      try {
        const result = await run(again);
        this.succeededAt = this.carrier?.answered() ?? 0;
        if (waitedFrom) {
          this.lifecycle.attention = undefined;
          this.visibility.setStatus(waitedFrom.status, `resumed at ${waitedFrom.step}`);
        }
        return result;
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        again = true;
        onFailure?.(error);
        const stepName = saleFailure(error)?.saleStep ?? name;
        if (!patched(RECONNECT_BACKOFF)) {
          // Replay-only (before RECONNECT_BACKOFF): a re-check every 15 minutes, the status restored before each.
          const before = this.lifecycle.status;
          const parked = await waitOutRejection(error, stepName, {
            park: (status, attention) => this.park(status, attention),
            resume: this.signals.resume,
            reconnect: this.signals.reconnect,
          });
          this.lifecycle.attention = undefined;
          this.visibility.setStatus(
            before,
            parked === 'WaitingForReconnect' ? `retrying ${stepName} on the Keap connection` : `resumed at ${stepName}`,
          );
          continue;
        }
        waitedFrom ??= { status: this.lifecycle.status, step: stepName };
        waitedFrom.step = stepName;
        const parked = await waitOutRejection(error, stepName, {
          park: (status, attention) => this.park(status, attention, true),
          resume: this.signals.resume,
          reconnect: this.signals.reconnect,
          recheckAfter: reconnectRecheckMs(rechecks),
        });
        if (parked === 'NeedsAttention') {
          // An operator resumed it: shown as before, like the step's first try.
          this.lifecycle.attention = undefined;
          this.visibility.setStatus(waitedFrom.status, `resumed at ${stepName}`);
          waitedFrom = undefined;
          rechecks = 0;
          continue;
        }
        // Still WaitingForReconnect until the step's outcome is known: no search attribute changes.
        this.visibility.setStatus('WaitingForReconnect', `retrying ${stepName} on the Keap connection`);
        if (this.signals.reconnect.raised) {
          // The merchant reconnected: try at once, and start the backoff over should it fail again.
          rechecks = 0;
          continue;
        }
        // A re-check (the signal may have been missed) waits longer each time; a long wait continues as
        // new, carrying this step, while it is its event's first (nothing of the event is done yet).
        rechecks += 1;
        if (this.carrier && this.succeededAt !== this.carrier.answered() && this.carrier.carriable()) {
          await this.carrier.continueAsNew({ step: name, progress: progress?.(), rechecks });
        }
      }
    }
  }

  /** @param keepSince a step still waiting for the same thing keeps the time it started waiting. */
  private park(status: ParkedStatus, attention: StepAttention, keepSince = false): void {
    const earlier = this.lifecycle.attention;
    if (keepSince && earlier && this.lifecycle.status === status && earlier.step === attention.step) {
      attention = { ...attention, since: earlier.since };
    }
    this.lifecycle.attention = attention;
    const { step, error } = attention;
    this.visibility.setStatus(
      status,
      status === 'WaitingForReconnect'
        ? `${step} is waiting for the Keap connection: ${error}`
        : `${step} was rejected by Keap: ${error}. Fix the cause, then resume the order.`,
    );
  }

  /**
   * The sale of `lines` paid by `payment`: one Keap order (keyed by the order, or for a renewal by its
   * payment, so each cycle is one order however often its payment is delivered) with the payment
   * recorded, in the lifecycle too. `syncing` shows the Syncing status first (the order's first sale).
   * Returns the order and what is paid on it.
   */
  async writeSale(
    lines: OrderLine[],
    title: string,
    payment: PaymentEvent,
    { renewalOf, syncing }: { renewalOf?: string; syncing?: string } = {},
  ): Promise<{ keapOrder: WrittenOrder; paidOnOrder: number }> {
    if (patched(ONE_ACTIVITY_PER_SALE)) {
      if (syncing !== undefined)
        this.visibility.setStatus('Syncing', syncing, orderSearchAttributes(this.placed), { searchable: false });
      return this.writeSaleInOneActivity(lines, title, payment, renewalOf);
    }
    if (syncing !== undefined) this.visibility.setStatus('Syncing', syncing, orderSearchAttributes(this.placed));
    const written = await this.writeOrder(lines, title, renewalOf);
    this.noteKeapOrder(written.keapOrderId);
    if (syncing !== undefined) this.lifecycle.total = written.total;
    const paidOnOrder = await this.recordPayment(written, payment);
    return { keapOrder: written, paidOnOrder };
  }

  /**
   * A subscription's start: the subscriber's contact now when a trial means no sale yet (otherwise
   * the first cycle's sale writes it); before ONE_ACTIVITY_PER_SALE, always.
   */
  async startSubscription(initial: PaymentEvent | undefined): Promise<void> {
    const syncing = `syncing the subscriber to Keap`;
    if (patched(ONE_ACTIVITY_PER_SALE)) {
      this.visibility.setStatus('Syncing', syncing, orderSearchAttributes(this.placed), { searchable: false });
      if (!initial) await this.syncContact();
    } else {
      this.visibility.setStatus('Syncing', syncing, orderSearchAttributes(this.placed));
      await this.syncContact();
    }
  }

  async syncContact(): Promise<string> {
    if (this.lifecycle.keapContactId) return this.lifecycle.keapContactId;
    const { contactId } = await this.step('syncContact', () =>
      orderSteps.syncContact({ accountId: this.accountId, customer: this.placed.order.customer }),
    );
    this.lifecycle.keapContactId = contactId;
    return contactId;
  }

  /** The Keap order of these lines, as both branches write it. */
  private keapOrderDraft(lines: OrderLine[], title: string, renewalOf: string | undefined) {
    const { order } = this.placed;
    return {
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
    };
  }

  /**
   * One sale in one activity: the lines' products, the contact (unless known), the order and its
   * payment. A failed try hands its progress to the next, so nothing written is written again.
   */
  private async writeSaleInOneActivity(
    lines: OrderLine[],
    title: string,
    payment: PaymentEvent,
    renewalOf: string | undefined,
  ): Promise<{ keapOrder: KeapOrderSnapshot; paidOnOrder: number }> {
    const { order } = this.placed;
    // A sale carried over from the run before starts from what its tries wrote there.
    let done: SaleProgress | undefined =
      this.carriedStep?.step === 'writeKeapSale' ? this.carriedStep.progress : undefined;
    const sale = await this.step(
      'writeKeapSale',
      (again) => {
        const contactId = done?.contactId ?? this.lifecycle.keapContactId;
        return orderSteps.writeKeapSale({
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
          order: this.keapOrderDraft(lines, title, renewalOf),
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
      () => done,
    );
    this.lifecycle.keapContactId = sale.contactId;
    this.noteKeapOrder(sale.keapOrder.keapOrderId);
    this.notePayment(payment, sale.keapOrder.keapOrderId, sale.payment.keapPaymentId);
    // Keap's own figure when the activity read it; otherwise the order was fresh and this is its only payment.
    const paidOnOrder = sale.payment.totalPaidAfter ?? sale.keapOrder.totalPaid + payment.amount;
    return { keapOrder: sale.keapOrder, paidOnOrder };
  }

  /** Replay-only (before ONE_ACTIVITY_PER_SALE): products, contact and order, each its own activity. */
  private async writeOrder(lines: OrderLine[], title: string, renewalOf: string | undefined) {
    const contactId = await this.syncContact();
    const productIds = await this.step('ensureProducts', () =>
      orderSteps.ensureProducts({
        accountId: this.accountId,
        items: lines.map(({ sku, name, unitAmount, checkoutId }) => ({ sku, name, unitAmount, checkoutId })),
      }),
    );
    return this.step('createKeapOrder', () => {
      const { orderKey, orderTime, currency, shippingAddress, recipient } = this.keapOrderDraft(
        lines,
        title,
        renewalOf,
      );
      return orderSteps.createKeapOrder({
        accountId: this.accountId,
        orderKey,
        contactId,
        title,
        orderTime,
        currency,
        items: lines.map((line) => ({
          productId: productIds[line.sku] ?? '',
          name: line.name,
          quantity: line.quantity,
          unitAmount: line.unitAmount,
        })),
        shippingAddress,
        recipient,
      });
    });
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
      orderSteps.recordKeapPayment({
        accountId: this.accountId,
        keapOrderId: keapOrder.keapOrderId,
        currency: this.placed.order.currency,
        payment: { id: payment.id, amount: payment.amount, paidAt: payment.paidAt },
        orderMayHavePayments: !keapOrder.created,
        ...(firstTryWritesBlind ? { mayBeRecorded: again } : {}),
      }),
    );
    this.notePayment(payment, keapOrder.keapOrderId, recorded.keapPaymentId);
    // Keap's own figure when the activity read it; otherwise the order was fresh and this is its only payment.
    return recorded.totalPaidAfter ?? keapOrder.totalPaid + payment.amount;
  }

  /** Applies or removes the account's tag on the order's contact. */
  async tag(tagName: string, action: 'apply' | 'remove'): Promise<void> {
    const contactId = this.lifecycle.keapContactId;
    if (!contactId) return;
    await this.step(action === 'apply' ? 'tagContact' : 'untagContact', () =>
      orderSteps.tagContact({ accountId: this.accountId, contactId, tagName, action }),
    );
  }

  private notePayment(payment: PaymentEvent, keapOrderId: string, keapPaymentId: string): void {
    const entry: RecordedPayment = {
      id: payment.id,
      amount: payment.amount,
      paidAt: payment.paidAt,
      sequence: payment.sequence,
      keapOrderId,
      keapPaymentId,
      recordedAt: nowIso(),
    };
    this.lifecycle.payments.push(entry);
  }

  noteKeapOrder(keapOrderId: string): void {
    if (!this.lifecycle.keapOrderId) this.lifecycle.keapOrderId = keapOrderId;
    if (!this.lifecycle.keapOrderIds.includes(keapOrderId)) this.lifecycle.keapOrderIds.push(keapOrderId);
  }
}
