/**
 * Order domain logic shared by the API, activities and workflows. Deterministic and dependency-free
 * (types only from the schema module) so it is safe inside Temporal's workflow sandbox.
 */
import type { PaymentSequence, RefundEvent } from './order-events';
import type { LineItem, OrderInput, OrderRequest } from './order-schema';

export type PlanType = OrderRequest['plan']['type'];

/** Where an order stands; mirrored into the SalesSyncStatus search attribute. */
export type OrderStatus =
  /** A payment arrived (webhook) before the platform posted its order; it is held until the order comes. */
  | 'AwaitingOrder'
  | 'Received'
  | 'SyncDisabled'
  | 'Syncing'
  | 'NeedsAttention'
  /** The account's Keap connection is broken; the order waits for the merchant to reconnect, then resumes. */
  | 'WaitingForReconnect'
  /** One-time order written and paid. */
  | 'Paid'
  /** Subscription in its trial: contact synced, no Keap order until the first payment. */
  | 'Trialing'
  /** Payment plan: partially paid, next installment not yet due (or within its grace period). */
  | 'AwaitingInstallment'
  /** A due installment or renewal was not received by its due date plus the grace period. */
  | 'PastDue'
  /** The processor reported a failed charge; a later payment clears it. */
  | 'PaymentFailed'
  | 'PaidInFull'
  /** Subscription renewing normally. */
  | 'Active'
  | 'Cancelled'
  /**
   * The order had ended and its history is gone (retention) when an event came after its end: the
   * run that records it knows the order as placed, and Keap's records from the ledger.
   */
  | 'Ended';

export interface RecordedPayment {
  id: string;
  amount: number;
  paidAt: string;
  sequence: PaymentSequence;
  keapOrderId: string;
  keapPaymentId: string;
  recordedAt: string;
}

/** What the lifecycle query (and the API's GET order) returns. All money in minor units. */
export interface OrderLifecycle {
  workflowId: string;
  accountId: string;
  orderId: string;
  planType?: PlanType;
  status: OrderStatus;
  statusReason?: string;
  currency?: string;
  /** Payment plan: the plan's full total. One-time: the order total. Subscription: all renewal orders so far. */
  total: number;
  totalPaid: number;
  /** What is still owed on the Keap order (payment plans; 0 for one-time once paid; 0 for subscriptions). */
  balance: number;
  keapContactId?: string;
  /** The first Keap order (the plan's single order; the subscription's first cycle). */
  keapOrderId?: string;
  /** Every Keap order, in order: one for one-time and plans, one per paid cycle for subscriptions. */
  keapOrderIds: string[];
  payments: RecordedPayment[];
  /** Payment plan progress. */
  installments?: { paid: number; total: number };
  /** Subscription progress: paid cycles. */
  cycles?: number;
  nextDueAt?: string;
  failures: { id: string; amount: number; at: string; reason?: string }[];
  refunds: RefundEvent[];
  ignoredPayments: { id: string; reason: string }[];
  cancelledAt?: string;
  attention?: { step: string; error: string; since: string };
  /** Times the order was run again for events that came after it ended (see `reopened` in the workflow args). */
  reopenings?: number;
  /** Identifies the order content the workflow was given, to tell a repeat from a conflicting post. */
  contentFingerprint?: string;
  updatedAt: string;
}

export function itemsTotal(items: readonly Pick<LineItem, 'quantity' | 'unitAmount'>[]): number {
  let total = 0;
  for (const item of items) total += item.quantity * item.unitAmount;
  if (!Number.isSafeInteger(total)) throw new RangeError('Order total overflows');
  return total;
}

/** The amount the Keap order is written for: the charged items, which for a plan is its full total. */
export function orderTotal(order: OrderRequest): number {
  return itemsTotal(order.items);
}

/**
 * Money rules the schema cannot express: what was paid must agree with what the order says was
 * charged. Each problem names the field. Empty means consistent.
 */
export function orderAmountProblems(order: OrderInput): { path: string; message: string }[] {
  const total = itemsTotal(order.items);
  const problems: { path: string; message: string }[] = [];
  const plan = order.plan;
  switch (plan.type) {
    case 'one_time':
      if (order.payment && order.payment.amount !== total) {
        problems.push({ path: 'payment.amount', message: `must equal the items' total, ${total}` });
      }
      break;
    case 'payment_plan': {
      const planTotal = plan.installments * plan.installmentAmount;
      if (total !== planTotal) {
        problems.push({
          path: 'items',
          message: `must total the plan's ${plan.installments} × ${plan.installmentAmount} = ${planTotal}, not ${total}`,
        });
      }
      if (order.payment && order.payment.amount !== plan.installmentAmount) {
        problems.push({
          path: 'payment.amount',
          message: `must equal the first installment, ${plan.installmentAmount}`,
        });
      }
      break;
    }
    case 'subscription':
      if (total !== plan.amount) {
        problems.push({ path: 'items', message: `must total the subscription amount, ${plan.amount}, not ${total}` });
      }
      if (order.payment && order.payment.amount !== plan.amount) {
        problems.push({ path: 'payment.amount', message: `must equal the subscription amount, ${plan.amount}` });
      }
      break;
  }
  return problems;
}

/** The key we store on the Keap order (custom field) so a retry can find what an earlier attempt wrote. */
export function keapOrderKey(accountId: string, orderId: string, renewalPaymentId?: string): string {
  const base = `ss:${accountId}:${orderId}`;
  return renewalPaymentId ? `${base}:${renewalPaymentId}` : base;
}

/** The marker we put in a Keap payment's notes; Keap's payment listing returns notes but not external_source_value. */
export function keapPaymentMarker(paymentId: string): string {
  return `[sales-sync payment ${paymentId}]`;
}
