/**
 * Payment plan: one Keap order for the plan's full total; the first installment is recorded at once
 * (Keap shows it partially paid) and each later one on the SAME order, until it is paid in full.
 * An installment not received by its due date plus the grace period turns the order PastDue.
 */
import { patched } from '@temporalio/workflow';
import type { PaymentEvent } from '../../order-events';
import type { PaymentPlan } from '../../order-schema';
import { addDays, addIntervals } from '../../../common/schedule';
import { PAYMENTS_QUEUED_AT_CANCEL_RECORDED } from '../../../workflows/support/patches';
import type { OrderRun } from '../order-run';
import { keapOrderSearchAttribute } from '../visibility';

export async function runPaymentPlan(
  run: OrderRun,
  plan: PaymentPlan,
  initial: PaymentEvent | undefined,
): Promise<void> {
  const { placed, lifecycle: lc, inbox, visibility, overdue } = run;
  const { order } = placed;
  const grace = placed.settings.gracePeriodDays;
  lc.installments ??= { paid: 0, total: plan.installments };
  const progress = lc.installments;

  if (!lc.keapOrderId) {
    if (!initial) throw new Error('A payment plan starts with its first installment');
    const title = `Checkout order ${order.orderId} · ${plan.installments} installments`;
    const { keapOrder, paidOnOrder } = await run.keap.writeSale(order.items, title, initial, {
      syncing: `writing plan order ${order.orderId} to Keap`,
    });
    lc.total = keapOrder.total;
    lc.totalPaid = paidOnOrder;
    lc.balance = lc.total - lc.totalPaid;
    progress.paid = 1;
    visibility.setStatus('AwaitingInstallment', summary(run), keapOrderSearchAttribute(keapOrder.keapOrderId));
  }

  while (lc.totalPaid < lc.total) {
    const anchor = lc.payments[0]?.paidAt ?? placed.receivedAt;
    const dueAt = addIntervals(anchor, plan.interval, plan.intervalCount * progress.paid);
    lc.nextDueAt = dueAt;
    if (!overdue.overdue) visibility.setStatus('AwaitingInstallment', summary(run));
    const event = await inbox.next(
      overdue.overdue ? undefined : addDays(dueAt, grace),
      `installment ${progress.paid + 1} of ${progress.total} due ${dueAt.slice(0, 10)} (+${grace} days grace)`,
    );
    if (event === 'deadline') {
      await overdue.mark(
        'PastDue',
        `installment ${progress.paid + 1} of ${progress.total} was due ${dueAt.slice(0, 10)}; ${summary(run)}`,
      );
      continue;
    }
    switch (event.kind) {
      case 'payment':
        await installment(run, event.payment);
        break;
      case 'payment_failed':
        await overdue.paymentFailed(event.failure, summary(run), run.money);
        break;
      case 'cancelled':
        // An installment Stripe charged with, or just before, the cancellation is still money received.
        if (inbox.hasPayments() && patched(PAYMENTS_QUEUED_AT_CANCEL_RECORDED)) {
          for (const payment of inbox.takePayments()) await installment(run, payment);
        }
        lc.cancelledAt = event.cancellation.at;
        lc.nextDueAt = undefined;
        visibility.setStatus('Cancelled', `plan cancelled with ${run.money(lc.balance)} still open; ${summary(run)}`);
        inbox.drain('the plan was cancelled');
        return;
    }
    await run.continueAsNewIfDue();
  }
  lc.nextDueAt = undefined;
  if (overdue.overdue) await overdue.clear();
  visibility.setStatus('PaidInFull', `${summary(run)} · Keap order ${lc.keapOrderId} PAID`);
  inbox.drain('the plan is already paid in full');
}

/** One installment: recorded on the plan's Keap order, unless it is the first again or exceeds the balance. */
export async function installment(run: OrderRun, payment: PaymentEvent): Promise<void> {
  const { lifecycle: lc, inbox, visibility, overdue } = run;
  if (payment.sequence === 'initial') {
    inbox.ignorePayment(payment, 'the first installment is already recorded');
    return;
  }
  if (payment.amount > lc.balance) {
    inbox.ignorePayment(payment, `it exceeds the open balance of ${run.money(lc.balance)}`);
    return;
  }
  const keapOrderId = lc.keapOrderId as string;
  // A payment id reaches this point once (deduplicated on arrival), so its first try writes blind.
  lc.totalPaid = await run.keap.recordPayment({ keapOrderId, totalPaid: lc.totalPaid, created: false }, payment, {
    firstTryWritesBlind: true,
  });
  lc.balance = lc.total - lc.totalPaid;
  if (lc.installments) lc.installments.paid += 1;
  if (overdue.overdue) await overdue.clear();
  visibility.setStatus('AwaitingInstallment', summary(run));
}

function summary(run: OrderRun): string {
  const lc = run.lifecycle;
  const progress = lc.installments ?? { paid: 0, total: 0 };
  const next = lc.nextDueAt && lc.totalPaid < lc.total ? ` · next due ${lc.nextDueAt.slice(0, 10)}` : '';
  return `${progress.paid} of ${progress.total} paid · ${run.money(lc.totalPaid)} of ${run.money(lc.total)}${next}`;
}
