/**
 * Events that came after the order ended: Stripe does not order its events and retries for days, so
 * a final invoice can follow the subscription's cancellation, a refund a paid order, a redelivery
 * its close. A closed order is run again for them (the API starts this run), records each as its
 * plan would have (Keap gets what it would have got; the ledger keeps anything from being written
 * twice), and closes again after a quiet period.
 */
import type { PaymentEvent } from '../../order-events';
import type { OrderRun } from '../order-run';
import { installment } from './payment-plan';
import { recordCycle } from './subscription';

const DEFAULT_QUIET_MS = 10 * 60_000;

export async function runLateEvents(run: OrderRun, quietMs = DEFAULT_QUIET_MS): Promise<void> {
  const { lifecycle: lc, inbox, visibility } = run;
  const closedStatus = lc.status;
  const closedAs = (what: string) => visibility.setStatus(closedStatus, `${what}; the order had ended ${closedStatus}`);
  lc.reopenings = (lc.reopenings ?? 0) + 1;
  closedAs('recording events that came after the order ended');
  for (;;) {
    const quietUntil = new Date(Date.now() + quietMs).toISOString();
    const event = await inbox.next(quietUntil, 'close again once no more late events come');
    if (event === 'deadline') break;
    switch (event.kind) {
      case 'payment':
        await latePayment(run, event.payment);
        closedAs(`payment ${event.payment.id} recorded after the order ended`);
        break;
      case 'payment_failed': {
        const { id, amount, failedAt: at, reason } = event.failure;
        lc.failures.push({ id, amount, at, reason });
        closedAs(`a charge of ${run.money(amount)} failed after the order ended`);
        break;
      }
      case 'cancelled':
        closedAs('a cancellation came after the order had ended');
        break;
    }
  }
  lc.nextDueAt = undefined;
  closedAs('late events recorded');
  inbox.drain('the order had ended');
}

/** A payment that came after the order ended, recorded as its plan records payments. */
async function latePayment(run: OrderRun, payment: PaymentEvent): Promise<void> {
  const { order } = run.placed;
  const lc = run.lifecycle;
  const checkoutPayment = payment.id === order.payment?.id;
  switch (order.plan.type) {
    case 'one_time':
      if (!checkoutPayment) {
        run.inbox.ignorePayment(payment, 'a one-time order is paid once');
        return;
      }
      // The checkout's own payment (a redelivery after the history was deleted): the ledger answers.
      await run.keap.writeSale(order.items, `Checkout order ${order.orderId}`, payment);
      return;
    case 'payment_plan': {
      if (lc.keapOrderId) {
        await installment(run, payment);
        return;
      }
      // The plan's history is gone: its Keap order is the ledger's, found by the order's key.
      const title = `Checkout order ${order.orderId} · ${order.plan.installments} installments`;
      const sale = await run.keap.writeSale(order.items, title, payment);
      lc.total = sale.keapOrder.total;
      lc.totalPaid = sale.paidOnOrder;
      lc.balance = lc.total - lc.totalPaid;
      return;
    }
    case 'subscription':
      // A cycle paid after the cancellation is still a cycle the 3PL ships; the checkout's own payment
      // (or its redelivery) is the first cycle's, keyed by the order as always.
      if (checkoutPayment || payment.sequence === 'initial') {
        await recordCycle(run, payment, Math.max(1, lc.cycles ?? 0), { renewal: false });
      } else {
        await recordCycle(run, payment, (lc.cycles ?? 0) + 1, { renewal: true });
      }
      return;
  }
}
