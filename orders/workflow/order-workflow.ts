/**
 * One workflow per checkout order (id `order:{accountId}:{orderId}`), for as long as the order lives:
 * a one-time order until it is paid, a payment plan until paid in full or cancelled, a subscription
 * until cancelled (continuing as new as its history grows). The order arrives as the start's input
 * (a new order) or by the `placeOrder` update (a workflow a payment started first, or a repeat);
 * payments and other events by signals (signal-with-start), so a payment that beats its order is
 * held, not lost.
 */
import type { OrderLifecycle } from '../order';
import type { PaymentEvent } from '../order-events';
import { orderTotal } from '../order';
import { runOneTime } from './lifecycles/one-time';
import { runPaymentPlan } from './lifecycles/payment-plan';
import { runSubscription } from './lifecycles/subscription';
import type { OrderWorkflowArgs } from './definitions';
import { OrderRun } from './order-run';

export async function orderWorkflow(args: OrderWorkflowArgs): Promise<OrderLifecycle> {
  const run = new OrderRun(args);
  const placed = await run.waitForOrder();
  const { order } = placed;
  const lc = run.lifecycle;

  let initial: PaymentEvent | undefined;
  if (!args.carried) {
    lc.planType = order.plan.type;
    lc.currency = order.currency;
    lc.total = orderTotal(order);
    lc.balance = lc.total;
    if (!placed.salesSyncEnabled) {
      lc.statusReason =
        'Sales Sync is turned off for this account; the order was acknowledged and not written to Keap.';
      run.setStatus('SyncDisabled', lc.statusReason, run.orderSearchAttributes());
      run.drainInbox('Sales Sync is turned off for this account');
      return lc;
    }
    // The checkout's own payment. A webhook copy with the same id that arrived first is folded in.
    if (order.payment) {
      run.takeQueuedPayment(order.payment.id);
      run.claimPaymentId(order.payment.id);
      initial = { ...order.payment, sequence: 'initial', source: 'api' };
    }
  }

  switch (order.plan.type) {
    case 'one_time':
      if (!initial) throw new Error('A one-time order carries its payment');
      await runOneTime(run, initial);
      run.drainInbox('a one-time order is paid once');
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
