/**
 * What operators see of an order: its status in the lifecycle and the UI's details, and the search
 * attributes only the order knows (email, plan type, Keap order id), written with the status.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';
import type { OrderLifecycle, OrderStatus } from '../order';
import { SA_CUSTOMER_EMAIL, SA_KEAP_ORDER_ID, SA_PLAN_TYPE } from '../../workflows/support/search-attributes';
import { StatusBoard } from '../../workflows/support/status';
import { nowIso } from '../../workflows/support/time';
import type { PlaceOrderRequest } from './definitions';

export class OrderVisibility {
  private readonly board: StatusBoard<OrderStatus>;

  /** @param carried whether this run continues another (its status is already indexed). */
  constructor(
    private readonly lifecycle: OrderLifecycle,
    carried: boolean,
  ) {
    this.board = new StatusBoard<OrderStatus>(carried ? lifecycle.status : undefined);
  }

  /** See StatusBoard.show: `searchable: false` for a short-lived status such as Syncing. */
  setStatus(
    status: OrderStatus,
    details: string,
    extra: SearchAttributeUpdatePair[] = [],
    options: { searchable?: boolean } = {},
  ): void {
    this.lifecycle.status = status;
    this.lifecycle.updatedAt = nowIso();
    this.board.show(status, details, extra, options);
  }

  get overdue(): boolean {
    return this.lifecycle.status === 'PastDue' || this.lifecycle.status === 'PaymentFailed';
  }
}

/** Search attributes only the order knows (when a payment started the workflow, the start could not set them). */
export function orderSearchAttributes(placed: PlaceOrderRequest): SearchAttributeUpdatePair[] {
  const { order } = placed;
  const current = workflowInfo().typedSearchAttributes;
  const pairs: SearchAttributeUpdatePair[] = [];
  const indexEmail = placed.settings.emailSearchAttribute !== false;
  if (indexEmail && current.get(SA_CUSTOMER_EMAIL) !== order.customer.email)
    pairs.push({ key: SA_CUSTOMER_EMAIL, value: order.customer.email });
  if (current.get(SA_PLAN_TYPE) !== order.plan.type) pairs.push({ key: SA_PLAN_TYPE, value: order.plan.type });
  return pairs;
}

export function keapOrderSearchAttribute(keapOrderId: string): SearchAttributeUpdatePair[] {
  return [{ key: SA_KEAP_ORDER_ID, value: keapOrderId }];
}
