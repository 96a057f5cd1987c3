/**
 * Payment plan: one Keap order for the plan's full total; the first installment is recorded at once
 * (Keap shows it partially paid) and each later one on the SAME order, until it is paid in full.
 * An installment not received by its due date plus the grace period turns the order PastDue.
 */
import { patched } from '@temporalio/workflow';
import type { PaymentPlan } from '../../order-schema';
import type { PaymentEvent } from '../../order-events';
import { addDays, addIntervals } from '../../../common/schedule';
import type { OrderRun } from '../order-run';
import { ONE_ACTIVITY_PER_SALE } from '../../../workflows/support/patches';

export async function runPaymentPlan(
  run: OrderRun,
  plan: PaymentPlan,
  initial: PaymentEvent | undefined,
): Promise<void> {
  const order = run.placed!.order;
  const grace = run.placed!.settings.gracePeriodDays;
  const lc = run.lifecycle;
  lc.installments ??= { paid: 0, total: plan.installments };
  const progress = lc.installments;

  if (!lc.keapOrderId) {
    if (!initial) throw new Error('A payment plan starts with its first installment');
    const title = `Checkout order ${order.orderId} · ${plan.installments} installments`;
    let keapOrder: { keapOrderId: string; total: number };
    if (patched(ONE_ACTIVITY_PER_SALE)) {
      run.setStatus('Syncing', `writing plan order ${order.orderId} to Keap`, run.orderSearchAttributes(), {
        searchable: false,
      });
      const sale = await run.writeSale(order.items, title, initial);
      keapOrder = sale.keapOrder;
      lc.total = keapOrder.total;
      lc.totalPaid = sale.paidOnOrder;
    } else {
      run.setStatus('Syncing', `writing plan order ${order.orderId} to Keap`, run.orderSearchAttributes());
      const written = await run.writeOrder(order.items, title);
      keapOrder = written;
      run.noteKeapOrder(written.keapOrderId);
      lc.total = written.total;
      lc.totalPaid = await run.recordPayment(written, initial);
    }
    lc.balance = lc.total - lc.totalPaid;
    progress.paid = 1;
    run.setStatus('AwaitingInstallment', summary(run), run.keapOrderSearchAttribute(keapOrder.keapOrderId));
  }

  while (lc.totalPaid < lc.total) {
    const anchor = lc.payments[0]?.paidAt ?? run.placed!.receivedAt;
    const dueAt = addIntervals(anchor, plan.interval, plan.intervalCount * progress.paid);
    lc.nextDueAt = dueAt;
    if (!run.overdue) run.setStatus('AwaitingInstallment', summary(run));
    const event = await run.nextEvent(
      run.overdue ? undefined : addDays(dueAt, grace),
      `installment ${progress.paid + 1} of ${progress.total} due ${dueAt.slice(0, 10)} (+${grace} days grace)`,
    );
    if (event === 'deadline') {
      await run.markOverdue(
        'PastDue',
        `installment ${progress.paid + 1} of ${progress.total} was due ${dueAt.slice(0, 10)}; ${summary(run)}`,
      );
      continue;
    }
    switch (event.kind) {
      case 'payment': {
        if (event.payment.sequence === 'initial') {
          run.ignorePayment(event.payment, 'the first installment is already recorded');
          break;
        }
        if (event.payment.amount > lc.balance) {
          run.ignorePayment(event.payment, `it exceeds the open balance of ${run.money(lc.balance)}`);
          break;
        }
        const keapOrderId = lc.keapOrderId as string;
        // A payment id reaches this point once (deduplicated on arrival), so its first try writes blind.
        lc.totalPaid = await run.recordPayment(
          { keapOrderId, totalPaid: lc.totalPaid, created: false },
          event.payment,
          {
            firstTryWritesBlind: true,
          },
        );
        lc.balance = lc.total - lc.totalPaid;
        progress.paid += 1;
        if (run.overdue) await run.clearOverdue();
        run.setStatus('AwaitingInstallment', summary(run));
        break;
      }
      case 'payment_failed':
        await run.paymentFailed(event.failure, summary(run));
        break;
      case 'cancelled':
        lc.cancelledAt = event.cancellation.at;
        lc.nextDueAt = undefined;
        run.setStatus('Cancelled', `plan cancelled with ${run.money(lc.balance)} still open; ${summary(run)}`);
        run.drainInbox('the plan was cancelled');
        return;
    }
    await run.continueAsNewIfDue();
  }
  lc.nextDueAt = undefined;
  if (run.overdue) await run.clearOverdue();
  run.setStatus('PaidInFull', `${summary(run)} · Keap order ${lc.keapOrderId} PAID`);
  run.drainInbox('the plan is already paid in full');
}

function summary(run: OrderRun): string {
  const lc = run.lifecycle;
  const progress = lc.installments ?? { paid: 0, total: 0 };
  const next = lc.nextDueAt && lc.totalPaid < lc.total ? ` · next due ${lc.nextDueAt.slice(0, 10)}` : '';
  return `${progress.paid} of ${progress.total} paid · ${run.money(lc.totalPaid)} of ${run.money(lc.total)}${next}`;
}
