/**
 * Order domain logic shared by the API, activities and workflows. Deterministic and dependency-free
 * (types only from the schema module) so it is safe inside Temporal's workflow sandbox.
 */
import type { LineItem, OrderRequest } from './order-schema';

export type PlanType = OrderRequest['plan']['type'];

/** Where an order stands; mirrored into the SalesSyncStatus search attribute. */
export type OrderStatus = 'Received' | 'SyncDisabled' | 'Syncing' | 'NeedsAttention' | 'Paid';

export interface RecordedPayment {
  id: string;
  amount: number;
  paidAt: string;
  keapPaymentId: string;
  recordedAt: string;
}

/** What the lifecycle query (and the API's GET order) returns. All money in minor units. */
export interface OrderLifecycle {
  workflowId: string;
  accountId: string;
  orderId: string;
  planType: PlanType;
  status: OrderStatus;
  statusReason?: string;
  currency: string;
  total: number;
  totalPaid: number;
  balance: number;
  keapContactId?: string;
  keapOrderId?: string;
  payments: RecordedPayment[];
  attention?: { step: string; error: string; since: string };
  updatedAt: string;
}

export function orderWorkflowId(accountId: string, orderId: string): string {
  return `order:${accountId}:${orderId}`;
}

export function itemsTotal(items: readonly Pick<LineItem, 'quantity' | 'unitAmount'>[]): number {
  let total = 0;
  for (const item of items) total += item.quantity * item.unitAmount;
  if (!Number.isSafeInteger(total)) throw new RangeError('Order total overflows');
  return total;
}

/** The key we store on the Keap order (custom field) so a retry can find what an earlier attempt wrote. */
export function keapOrderKey(accountId: string, orderId: string): string {
  return `ss:${accountId}:${orderId}`;
}

/** The marker we put in a Keap payment's notes; Keap's payment listing returns notes but not external_source_value. */
export function keapPaymentMarker(paymentId: string): string {
  return `[sales-sync payment ${paymentId}]`;
}
