/**
 * One workflow per checkout order (id `order:{accountId}:{orderId}`), for as long as the order lives:
 * a one-time order until it is paid, a payment plan until paid in full or cancelled, a subscription
 * until cancelled (continuing as new as its history grows). The order arrives as the start's input
 * (a new order) or by the `placeOrder` update (a workflow a payment started first, or a repeat);
 * payments and other events by signals (signal-with-start), so a payment that beats its order is
 * held, not lost.
 */
import { ApplicationFailure, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import type { OrderLifecycle } from '../order';
import { orderTotal } from '../order';
import type { PaymentEvent } from '../order-events';
import { formatMoney } from '../../common/money';
import { Latch } from '../../workflows/support/keap-step';
import { nowIso } from '../../workflows/support/time';
import type { CarriedOrderState, OrderWorkflowArgs, PlaceOrderRequest } from './definitions';
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
import { continueAsNewIfDue } from './continue-as-new';
import { Inbox } from './inbox';
import { KeapWrites } from './keap-writes';
import type { ParkedStepCarrier } from './keap-writes';
import { runOneTime } from './lifecycles/one-time';
import { runPaymentPlan } from './lifecycles/payment-plan';
import { runSubscription } from './lifecycles/subscription';
import { runLateEvents } from './lifecycles/late-events';
import type { OrderRun } from './order-run';
import { newLifecycle } from './order-run';
import { Overdue } from './overdue';
import { recordRefund } from './refunds';
import { OrderVisibility, orderSearchAttributes } from './visibility';

export async function orderWorkflow(args: OrderWorkflowArgs): Promise<OrderLifecycle> {
  const info = workflowInfo();
  const { carried, reopened } = args;
  // Deadlines (trial end) run on workflow time, not the API host's clock.
  let placed = carried?.placed ?? reopened?.placed ?? (args.placed && { ...args.placed, receivedAt: nowIso() });
  const lc = carried?.lifecycle ?? reopened?.lifecycle ?? newLifecycle(info.workflowId, args);
  if (!carried && !reopened?.lifecycle && placed) lc.contentFingerprint = placed.contentFingerprint;
  const inbox = new Inbox(lc, carried ?? (reopened && { inbox: [], seenPaymentIds: handledPaymentIds(lc) }));
  const visibility = new OrderVisibility(lc, carried !== undefined || reopened?.lifecycle !== undefined);
  const resume = new Latch();
  const reconnect = new Latch();

  // Every message the order takes.
  setHandler(lifecycleQuery, () => lc);
  setHandler(
    placeOrderUpdate,
    (request) => {
      if (placed) return { duplicate: true };
      placed = { ...request, receivedAt: nowIso() };
      lc.contentFingerprint = request.contentFingerprint;
      return { duplicate: false };
    },
    {
      // Runs before the update is written to history: a conflicting order leaves no trace.
      validator: (request: PlaceOrderRequest) => {
        if (placed && placed.contentFingerprint !== request.contentFingerprint) {
          throw ApplicationFailure.create({
            type: ORDER_CONFLICT_FAILURE,
            message: `Order ${args.orderId} was already placed with different content`,
            nonRetryable: true,
          });
        }
      },
    },
  );
  setHandler(paymentSignal, (payment) => inbox.receivePayment(payment));
  setHandler(paymentFailedSignal, (failure) => inbox.receive({ kind: 'payment_failed', failure }));
  setHandler(cancelSignal, (cancellation) => inbox.receive({ kind: 'cancelled', cancellation }));
  setHandler(refundSignal, (refund) => recordRefund(lc, refund));
  setHandler(resumeSignal, () => resume.raise());
  setHandler(keapReconnectedSignal, () => reconnect.raise());

  if (!placed) {
    visibility.setStatus('AwaitingOrder', 'a payment arrived before its order; waiting for the order');
    await condition(() => placed !== undefined);
  }
  let initial: PaymentEvent | undefined;
  const run = orderRun(args, placed as PlaceOrderRequest, lc, inbox, visibility, { resume, reconnect }, () => initial);
  const { order } = run.placed;

  if (reopened) {
    if (!reopened.lifecycle) endedWithoutHistory(lc, run.placed);
    await runLateEvents(run, reopened.quietMs);
    return lc;
  }

  // A run continued as new while the first sale waited for a reconnect writes it as the first run would.
  if (carried?.initial) initial = carried.initial;
  if (!carried) {
    lc.planType = order.plan.type;
    lc.currency = order.currency;
    lc.total = orderTotal(order);
    lc.balance = lc.total;
    if (!run.placed.salesSyncEnabled) {
      lc.statusReason =
        'Sales Sync is turned off for this account; the order was acknowledged and not written to Keap.';
      visibility.setStatus('SyncDisabled', lc.statusReason, orderSearchAttributes(run.placed));
      inbox.drain('Sales Sync is turned off for this account');
      return lc;
    }
    // The checkout's own payment. A webhook copy with the same id that arrived first is folded in.
    if (order.payment) {
      inbox.takeQueuedPayment(order.payment.id);
      inbox.claimPaymentId(order.payment.id);
      initial = { ...order.payment, sequence: 'initial', source: 'api' };
    }
  }

  // The plans.
  switch (order.plan.type) {
    case 'one_time':
      if (!initial) throw new Error('A one-time order carries its payment');
      await runOneTime(run, initial);
      inbox.drain('a one-time order is paid once');
      break;
    case 'payment_plan':
      await runPaymentPlan(run, order.plan, initial);
      break;
    case 'subscription':
      await runSubscription(run, order.plan, initial);
      break;
  }
  return lc;
}

/** The parts of this run, once the order is known. */
function orderRun(
  args: OrderWorkflowArgs,
  placed: PlaceOrderRequest,
  lifecycle: OrderLifecycle,
  inbox: Inbox,
  visibility: OrderVisibility,
  signals: { resume: Latch; reconnect: Latch },
  initial: () => PaymentEvent | undefined,
): OrderRun {
  const info = workflowInfo();
  const { carried } = args;
  // A reset run, or a later run of its chain: activities before the reset point may have written.
  const resetRun =
    carried?.afterReset === true || (info.originalExecutionRunId !== '' && info.originalExecutionRunId !== info.runId);
  const carriedState = (): CarriedOrderState => ({
    placed,
    lifecycle,
    ...inbox.carry(),
    tagged: overdue.tagged,
    // A run after a continue-as-new no longer looks like a reset run; the chain stays careful.
    ...(resetRun ? { afterReset: true } : {}),
  });
  // A reopened order's run (late events) is short, and a next run would not know it was reopened:
  // its waiting steps back off, and never continue as new.
  const carrier: ParkedStepCarrier | undefined = args.reopened
    ? undefined
    : {
        answered: () => inbox.answered,
        carriable: () => inbox.handlingCarriable,
        carried: carried?.parkedStep,
        // While a step waits for a reconnect (RECONNECT_BACKOFF), the event it belongs to goes first again,
        // or, before any event, the first payment whose sale it is.
        continueAsNew: (parkedStep) =>
          continueAsNewIfDue(
            args,
            () => {
              const first = inbox.answered === 0 ? initial() : undefined;
              return { ...carriedState(), ...inbox.carryHandling(), ...(first ? { initial: first } : {}), parkedStep };
            },
            { parked: true },
          ),
      };
  const keap = new KeapWrites(placed, lifecycle, visibility, signals, resetRun, carrier);
  const overdue = new Overdue(lifecycle, visibility, keap, placed.settings.pastDueTag, carried?.tagged);
  return {
    placed,
    lifecycle,
    inbox,
    visibility,
    keap,
    overdue,
    money: (amount) => formatMoney(amount, placed.order.currency),
    continueAsNewIfDue: () => continueAsNewIfDue(args, carriedState),
  };
}

/** Payments the closed run recorded or set aside: a redelivery of one is not recorded again. */
function handledPaymentIds(lifecycle: OrderLifecycle): string[] {
  return [...lifecycle.payments.map((p) => p.id), ...lifecycle.ignoredPayments.map((p) => p.id)];
}

/** A reopened order whose closed run's history is gone: what the order as placed tells. */
function endedWithoutHistory(lc: OrderLifecycle, placed: PlaceOrderRequest): void {
  const { order } = placed;
  lc.planType = order.plan.type;
  lc.currency = order.currency;
  lc.total = orderTotal(order);
  lc.balance = lc.total;
  lc.status = 'Ended';
  lc.statusReason =
    'The order had ended and its earlier history was deleted (retention); events after its end are recorded here, and Keap records come from the ledger of Keap writes.';
}
