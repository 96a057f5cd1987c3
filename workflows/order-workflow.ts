/**
 * One workflow per checkout order (id `order:{accountId}:{orderId}`). It writes the order into the
 * merchant's Keap and records its payment. Every Keap write is an idempotent activity, retried with
 * backoff for as long as Keap is unavailable; a rejection no retry can fix parks the order in
 * NeedsAttention until an operator resumes it.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SalesSyncActivities } from '../activities';
import { formatMoney } from '../common/money';
import type { OrderLifecycle, OrderStatus } from '../common/order';
import { itemsTotal, keapOrderKey } from '../common/order';
import type { OrderWorkflowInput } from './order-definitions';
import { lifecycleQuery, resumeSignal } from './order-definitions';
import { SA_KEAP_ORDER_ID, SA_STATUS } from './search-attributes';

const keap = proxyActivities<SalesSyncActivities>({
  // Above the Keap client's own request timeout, so a hung request fails in the client first.
  startToCloseTimeout: '45s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});

function nowIso(): string {
  return new Date().toISOString(); // Deterministic in workflows: the workflow task's time.
}

function rejectionMessage(error: ActivityFailure): string {
  const cause = error.cause;
  return cause instanceof ApplicationFailure ? cause.message : (cause?.message ?? error.message);
}

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderLifecycle> {
  const { accountId, order } = input;
  const total = itemsTotal(order.items);
  const lifecycle: OrderLifecycle = {
    workflowId: workflowInfo().workflowId,
    accountId,
    orderId: order.orderId,
    planType: order.plan.type,
    status: 'Received',
    currency: order.currency,
    total,
    totalPaid: 0,
    balance: total,
    payments: [],
    updatedAt: input.receivedAt,
  };
  let resumeRequested = false;
  setHandler(lifecycleQuery, () => lifecycle);
  setHandler(resumeSignal, () => {
    resumeRequested = true;
  });

  /** One search-attribute upsert per visible change: each upsert is a billed Temporal action. */
  const setStatus = (
    status: OrderStatus,
    details: string,
    options: { searchable?: boolean; keapOrderId?: string } = {},
  ) => {
    lifecycle.status = status;
    lifecycle.updatedAt = nowIso();
    setCurrentDetails(`**${status}** · ${details}`);
    if (options.searchable === false) return;
    upsertSearchAttributes([
      { key: SA_STATUS, value: status },
      ...(options.keapOrderId ? [{ key: SA_KEAP_ORDER_ID, value: options.keapOrderId }] : []),
    ]);
  };

  /** Runs one Keap step; a rejection waits in NeedsAttention for a resume, then tries again. */
  async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        const message = rejectionMessage(error);
        lifecycle.attention = { step: name, error: message, since: nowIso() };
        setStatus('NeedsAttention', `${name} was rejected by Keap: ${message}. Fix the cause, then resume the order.`);
        await condition(() => resumeRequested);
        resumeRequested = false;
        lifecycle.attention = undefined;
        setStatus('Syncing', `resumed at ${name}`);
      }
    }
  }

  if (!input.salesSyncEnabled) {
    lifecycle.statusReason =
      'Sales Sync is turned off for this account; the order was acknowledged and not written to Keap.';
    setStatus('SyncDisabled', lifecycle.statusReason);
    return lifecycle;
  }

  setStatus('Syncing', `writing order ${order.orderId} to Keap`, { searchable: false });
  const contact = await step('syncContact', () => keap.syncContact({ accountId, customer: order.customer }));
  lifecycle.keapContactId = contact.contactId;

  const productIds = await step('ensureProducts', () =>
    keap.ensureProducts({
      accountId,
      items: order.items.map(({ sku, name, unitAmount }) => ({ sku, name, unitAmount })),
    }),
  );

  const keapOrder = await step('createKeapOrder', () =>
    keap.createKeapOrder({
      accountId,
      orderKey: keapOrderKey(accountId, order.orderId),
      contactId: contact.contactId,
      title: `Checkout order ${order.orderId}`,
      orderTime: order.payment.paidAt,
      currency: order.currency,
      items: order.items.map((item) => ({
        productId: productIds[item.sku] ?? '',
        name: item.name,
        quantity: item.quantity,
        unitAmount: item.unitAmount,
      })),
      shippingAddress: order.customer.address,
      recipient: {
        firstName: order.customer.firstName,
        lastName: order.customer.lastName,
        phone: order.customer.phone,
      },
    }),
  );
  lifecycle.keapOrderId = keapOrder.keapOrderId;
  lifecycle.total = keapOrder.total;

  const payment = order.payment;
  const recorded = await step('recordKeapPayment', () =>
    keap.recordKeapPayment({
      accountId,
      keapOrderId: keapOrder.keapOrderId,
      currency: order.currency,
      payment,
      orderMayHavePayments: !keapOrder.created,
    }),
  );
  lifecycle.payments.push({ ...payment, keapPaymentId: recorded.keapPaymentId, recordedAt: nowIso() });
  // Keap's own figure when the activity read it; otherwise the order was fresh and this is its only payment.
  lifecycle.totalPaid = recorded.totalPaidAfter ?? keapOrder.totalPaid + payment.amount;
  lifecycle.balance = lifecycle.total - lifecycle.totalPaid;

  setStatus(
    'Paid',
    `Keap order ${keapOrder.keapOrderId} · ${formatMoney(lifecycle.totalPaid, order.currency)} paid (payment ${payment.id})`,
    { keapOrderId: keapOrder.keapOrderId },
  );
  return lifecycle;
}
