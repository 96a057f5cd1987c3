/** The order workflow's messages, shared by the workflow and its clients (API, tests). */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { OrderLifecycle } from '../common/order';
import type { OrderRequest } from '../common/order-schema';

export interface OrderWorkflowInput {
  accountId: string;
  order: OrderRequest;
  /** The account's toggle when the order arrived: off means acknowledge and do not write. */
  salesSyncEnabled: boolean;
  receivedAt: string;
}

export const lifecycleQuery = defineQuery<OrderLifecycle>('lifecycle');

/** An operator fixed what Keap rejected (NeedsAttention) and asks the order to try again. */
export const resumeSignal = defineSignal('resume');
