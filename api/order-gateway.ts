/**
 * The API's door to Temporal for orders: starts one workflow per order (id derived from the order,
 * so a repeat reaches the same workflow) and reads lifecycles. A repeat with the same content is
 * harmless; the same order id with different content is a conflict.
 */
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { contentFingerprint } from '../common/canonical-json';
import { formatMoney } from '../common/money';
import type { OrderLifecycle } from '../common/order';
import { itemsTotal, orderWorkflowId } from '../common/order';
import type { OrderRequest } from '../common/order-schema';
import type { OrderWorkflowInput } from '../workflows/order-definitions';
import { lifecycleQuery } from '../workflows/order-definitions';
import type { orderWorkflow } from '../workflows/order-workflow';
import { SA_ACCOUNT_ID, SA_CUSTOMER_EMAIL, SA_PLAN_TYPE, SA_STATUS } from '../workflows/search-attributes';

export type SubmitResult =
  { outcome: 'started' | 'duplicate'; workflowId: string } | { outcome: 'conflict'; workflowId: string };

const PLAN_LABEL: Record<OrderRequest['plan']['type'], string> = { one_time: 'One-time order' };

export class OrderGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  async submit(accountId: string, order: OrderRequest, salesSyncEnabled: boolean): Promise<SubmitResult> {
    const workflowId = orderWorkflowId(accountId, order.orderId);
    const fingerprint = contentFingerprint(order);
    const input: OrderWorkflowInput = { accountId, order, salesSyncEnabled, receivedAt: new Date().toISOString() };
    const total = formatMoney(itemsTotal(order.items), order.currency);
    const itemCount = order.items.reduce((n, item) => n + item.quantity, 0);
    try {
      await this.client.workflow.start<typeof orderWorkflow>('orderWorkflow', {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        // One workflow per order, ever: a closed one is not replaced by a repeat post.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        memo: { fingerprint },
        typedSearchAttributes: [
          { key: SA_ACCOUNT_ID, value: accountId },
          { key: SA_CUSTOMER_EMAIL, value: order.customer.email },
          { key: SA_PLAN_TYPE, value: order.plan.type },
          { key: SA_STATUS, value: 'Received' },
        ],
        staticSummary: `${PLAN_LABEL[order.plan.type]} ${order.orderId} · ${total} · ${itemCount} item${itemCount === 1 ? '' : 's'}`,
      });
      return { outcome: 'started', workflowId };
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const existing = await this.client.workflow.getHandle(workflowId).describe();
      const same = existing.memo?.fingerprint === fingerprint;
      return { outcome: same ? 'duplicate' : 'conflict', workflowId };
    }
  }

  /** The lifecycle, or undefined when no such order workflow exists. */
  async lifecycle(accountId: string, orderId: string): Promise<OrderLifecycle | undefined> {
    try {
      return await this.client.workflow.getHandle(orderWorkflowId(accountId, orderId)).query(lifecycleQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }
}
