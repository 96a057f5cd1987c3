/** One-time order: contact, products, one Keap order at the charged price, its payment: Paid. */
import type { PaymentEvent } from '../../common/order-events';
import type { OrderRun } from '../order-run';

export async function runOneTime(run: OrderRun, initial: PaymentEvent): Promise<void> {
  const order = run.placed!.order;
  run.setStatus('Syncing', `writing order ${order.orderId} to Keap`, run.orderSearchAttributes());
  const keapOrder = await run.writeOrder(order.items, `Checkout order ${order.orderId}`);
  run.noteKeapOrder(keapOrder.keapOrderId);
  run.lifecycle.total = keapOrder.total;
  const paidOnOrder = await run.recordPayment(keapOrder, initial);
  run.lifecycle.totalPaid = paidOnOrder;
  run.lifecycle.balance = keapOrder.total - paidOnOrder;
  run.setStatus(
    'Paid',
    `Keap order ${keapOrder.keapOrderId} · ${run.money(paidOnOrder)} paid (payment ${initial.id})`,
    run.keapOrderSearchAttribute(keapOrder.keapOrderId),
  );
}
