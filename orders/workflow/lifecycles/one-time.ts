/** One-time order: contact, products, one Keap order at the charged price, its payment: Paid. */
import { patched } from '@temporalio/workflow';
import type { PaymentEvent } from '../../order-events';
import type { OrderRun } from '../order-run';
import { ONE_ACTIVITY_PER_SALE } from '../../../workflows/support/patches';

export async function runOneTime(run: OrderRun, initial: PaymentEvent): Promise<void> {
  const order = run.placed!.order;
  const title = `Checkout order ${order.orderId}`;
  let keapOrder: { keapOrderId: string; total: number };
  let paidOnOrder: number;
  if (patched(ONE_ACTIVITY_PER_SALE)) {
    run.setStatus('Syncing', `writing order ${order.orderId} to Keap`, run.orderSearchAttributes(), {
      searchable: false,
    });
    ({ keapOrder, paidOnOrder } = await run.writeSale(order.items, title, initial));
  } else {
    run.setStatus('Syncing', `writing order ${order.orderId} to Keap`, run.orderSearchAttributes());
    const written = await run.writeOrder(order.items, title);
    keapOrder = written;
    run.noteKeapOrder(written.keapOrderId);
    run.lifecycle.total = written.total;
    paidOnOrder = await run.recordPayment(written, initial);
  }
  run.lifecycle.total = keapOrder.total;
  run.lifecycle.totalPaid = paidOnOrder;
  run.lifecycle.balance = keapOrder.total - paidOnOrder;
  run.setStatus(
    'Paid',
    `Keap order ${keapOrder.keapOrderId} · ${run.money(paidOnOrder)} paid (payment ${initial.id})`,
    run.keapOrderSearchAttribute(keapOrder.keapOrderId),
  );
}
