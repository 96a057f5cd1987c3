/**
 * What one run of an order workflow hands its lifecycle: the placed order, the lifecycle it reports,
 * and the parts that act on them, each a module of its own.
 */
import type { OrderLifecycle } from '../order';
import { nowIso } from '../../workflows/support/time';
import type { OrderWorkflowArgs, PlaceOrderRequest } from './definitions';
import type { Inbox } from './inbox';
import type { KeapWrites } from './keap-writes';
import type { Overdue } from './overdue';
import type { OrderVisibility } from './visibility';

export interface OrderRun {
  readonly placed: PlaceOrderRequest;
  readonly lifecycle: OrderLifecycle;
  readonly inbox: Inbox;
  readonly visibility: OrderVisibility;
  readonly keap: KeapWrites;
  readonly overdue: Overdue;
  /** An amount in the order's currency, for details ("$12.00"). */
  readonly money: (amount: number) => string;
  /** Between events: continues as new when the history is long. */
  continueAsNewIfDue(): Promise<void>;
}

/** A new order's lifecycle, before anything happened to it. */
export function newLifecycle(workflowId: string, args: OrderWorkflowArgs): OrderLifecycle {
  return {
    workflowId,
    accountId: args.accountId,
    orderId: args.orderId,
    status: 'AwaitingOrder',
    total: 0,
    totalPaid: 0,
    balance: 0,
    keapOrderIds: [],
    payments: [],
    failures: [],
    refunds: [],
    ignoredPayments: [],
    updatedAt: nowIso(),
  };
}
