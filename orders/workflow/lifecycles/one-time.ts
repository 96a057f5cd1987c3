/** One-time order: contact, products, one Keap order at the charged price, its payment: Paid. */
import type { PaymentEvent } from '../../order-events';
import type { OrderRun } from '../order-run';
import { keapOrderSearchAttribute } from '../visibility';

export async function runOneTime(run: OrderRun, initial: PaymentEvent): Promise<void> {
  const { order } = run.placed;
  const lc = run.lifecycle;
  const { keapOrder, paidOnOrder } = await run.keap.writeSale(order.items, `Checkout order ${order.orderId}`, initial, {
    syncing: `writing order ${order.orderId} to Keap`,
  });
  lc.total = keapOrder.total;
  lc.totalPaid = paidOnOrder;
  lc.balance = keapOrder.total - paidOnOrder;
  run.visibility.setStatus(
    'Paid',
    `Keap order ${keapOrder.keapOrderId} · ${run.money(paidOnOrder)} paid (payment ${initial.id})`,
    keapOrderSearchAttribute(keapOrder.keapOrderId),
  );
}
