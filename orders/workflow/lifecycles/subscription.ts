/**
 * Subscription: every paid cycle becomes its own paid Keap order at the price charged (as Keap's own
 * subscriptions do, so a 3PL ships each cycle). Runs until cancelled, for years, continuing as new
 * when the history grows. Trials: the contact is synced at signup, and no Keap order exists until
 * the first real payment (there is nothing paid or shippable before it).
 */
import { patched } from '@temporalio/workflow';
import { itemsTotal } from '../../order';
import type { PaymentEvent } from '../../order-events';
import type { SubscriptionPlan } from '../../order-schema';
import { addDays, addIntervals } from '../../../common/schedule';
import { PAYMENTS_QUEUED_AT_CANCEL_RECORDED } from '../../../workflows/support/patches';
import type { OrderRun } from '../order-run';
import { keapOrderSearchAttribute } from '../visibility';

export async function runSubscription(
  run: OrderRun,
  plan: SubscriptionPlan,
  initial: PaymentEvent | undefined,
): Promise<void> {
  const { placed, lifecycle: lc, inbox, visibility, overdue } = run;
  const grace = placed.settings.gracePeriodDays;
  lc.cycles ??= 0;

  if (lc.cycles === 0) {
    await run.keap.startSubscription(initial);
    let first = initial;
    while (!first) {
      const trialEnds = addDays(placed.receivedAt, plan.trialDays ?? 0);
      lc.nextDueAt = trialEnds;
      if (!overdue.overdue)
        visibility.setStatus(
          'Trialing',
          `trial until ${trialEnds.slice(0, 10)}; no Keap order until the first payment`,
        );
      const event = await inbox.next(
        overdue.overdue ? undefined : addDays(trialEnds, grace),
        `trial ends ${trialEnds.slice(0, 10)} (+${grace} days grace)`,
      );
      if (event === 'deadline') {
        await overdue.mark('PastDue', `the first payment after the trial was due ${trialEnds.slice(0, 10)}`);
      } else if (event.kind === 'payment') {
        first = event.payment;
      } else if (event.kind === 'payment_failed') {
        await overdue.paymentFailed(event.failure, 'the first payment after the trial', run.money);
      } else {
        return await cancel(run, event.cancellation.at);
      }
    }
    await recordCycle(run, first, 1);
  }

  for (;;) {
    const anchor = lc.payments[0]?.paidAt ?? placed.receivedAt;
    const dueAt = addIntervals(anchor, plan.interval, plan.intervalCount * (lc.cycles ?? 0));
    lc.nextDueAt = dueAt;
    const event = await inbox.next(
      overdue.overdue ? undefined : addDays(dueAt, grace),
      `renewal ${(lc.cycles ?? 0) + 1} due ${dueAt.slice(0, 10)} (+${grace} days grace)`,
    );
    if (event === 'deadline') {
      await overdue.mark('PastDue', `renewal ${(lc.cycles ?? 0) + 1} was due ${dueAt.slice(0, 10)}; ${summary(run)}`);
      continue;
    }
    switch (event.kind) {
      case 'payment':
        if (event.payment.sequence === 'initial') {
          inbox.ignorePayment(event.payment, 'the first payment of this subscription is already recorded');
        } else {
          await recordCycle(run, event.payment, (lc.cycles ?? 0) + 1);
        }
        break;
      case 'payment_failed':
        await overdue.paymentFailed(event.failure, summary(run), run.money);
        break;
      case 'cancelled':
        return await cancel(run, event.cancellation.at);
    }
    await run.continueAsNewIfDue();
  }
}

/**
 * One paid cycle: its own Keap order, paid; keyed by the order for the first cycle and by the payment
 * for a renewal (`renewal`, by default every cycle after the first).
 */
export async function recordCycle(
  run: OrderRun,
  payment: PaymentEvent,
  cycle: number,
  { renewal = cycle !== 1 }: { renewal?: boolean } = {},
): Promise<void> {
  const { order } = run.placed;
  const lc = run.lifecycle;
  // Renewal orders carry the price actually charged; if it changed, one line at that price.
  const lines =
    itemsTotal(order.items) === payment.amount
      ? order.items
      : [{ ...order.items[0]!, quantity: 1, unitAmount: payment.amount }];
  const title = renewal
    ? `Checkout order ${order.orderId} · renewal ${cycle}`
    : `Checkout order ${order.orderId} · subscription`;
  const renewalOf = renewal ? payment.id : undefined;
  const { keapOrder } = await run.keap.writeSale(lines, title, payment, { renewalOf });
  lc.cycles = cycle;
  lc.total += keapOrder.total;
  lc.totalPaid += payment.amount;
  lc.balance = 0;
  if (run.overdue.overdue) await run.overdue.clear();
  const plan = order.plan;
  if (plan.type === 'subscription') {
    lc.nextDueAt = addIntervals(lc.payments[0]?.paidAt ?? payment.paidAt, plan.interval, plan.intervalCount * cycle);
  }
  run.visibility.setStatus('Active', summary(run), cycle === 1 ? keapOrderSearchAttribute(keapOrder.keapOrderId) : []);
}

async function cancel(run: OrderRun, at: string): Promise<void> {
  const lc = run.lifecycle;
  // A cycle Stripe charged with, or just before, the cancellation is still a paid cycle.
  if (run.inbox.hasPayments() && patched(PAYMENTS_QUEUED_AT_CANCEL_RECORDED)) {
    for (const payment of run.inbox.takePayments()) {
      if (payment.sequence === 'initial') run.inbox.ignorePayment(payment, 'the first payment is already recorded');
      else await recordCycle(run, payment, (lc.cycles ?? 0) + 1);
    }
  }
  lc.cancelledAt = at;
  lc.nextDueAt = undefined;
  run.visibility.setStatus('Cancelled', `subscription cancelled; ${summary(run)}`);
  run.inbox.drain('the subscription was cancelled');
}

function summary(run: OrderRun): string {
  const lc = run.lifecycle;
  const next = lc.nextDueAt ? ` · next due ${lc.nextDueAt.slice(0, 10)}` : '';
  return `${lc.cycles ?? 0} cycle${lc.cycles === 1 ? '' : 's'} paid · ${run.money(lc.totalPaid)} in ${lc.keapOrderIds.length} Keap order${lc.keapOrderIds.length === 1 ? '' : 's'}${next}`;
}
