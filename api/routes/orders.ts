import { Router } from 'express';
import type { AccountStore } from '../../accounts/account';
import { formatMoney } from '../../common/money';
import { itemsTotal } from '../../common/order';
import type { OrderRequest } from '../../common/order-schema';
import { orderRequestSchema } from '../../common/order-schema';
import { HttpError } from '../errors';
import type { OrderGateway } from '../order-gateway';
import { accountIdParams, orderParams } from '../schemas';
import { parseOrReject } from '../validate';

/** Rules zod cannot see alone: what was paid must be what the order says was charged. */
function checkAmounts(order: OrderRequest): void {
  const total = itemsTotal(order.items);
  if (order.plan.type === 'one_time' && order.payment.amount !== total) {
    throw new HttpError(
      422,
      'amount_mismatch',
      `payment.amount (${formatMoney(order.payment.amount, order.currency)}) must equal the items' total ` +
        `(${formatMoney(total, order.currency)}) for a one-time order`,
      [{ path: 'payment.amount', message: `must equal ${total}` }],
    );
  }
}

export function orderRoutes(accounts: AccountStore, orders: OrderGateway): Router {
  const router = Router();

  async function requireAccount(accountId: string) {
    const account = await accounts.get(accountId);
    if (!account) throw new HttpError(404, 'account_not_found', `Account ${accountId} does not exist`);
    return account;
  }

  router.post('/accounts/:accountId/orders', async (req, res) => {
    const { accountId } = parseOrReject(accountIdParams, req.params, 'path');
    const order = parseOrReject(orderRequestSchema, req.body, 'order');
    checkAmounts(order);
    const account = await requireAccount(accountId);
    const result = await orders.submit(accountId, order, account.salesSyncEnabled);
    const statusUrl = `/v1/accounts/${accountId}/orders/${order.orderId}`;
    if (result.outcome === 'conflict') {
      throw new HttpError(
        409,
        'order_conflict',
        `Order ${order.orderId} was already received with different content; an order id cannot be reused`,
      );
    }
    res
      .status(202)
      .location(statusUrl)
      .json({ workflowId: result.workflowId, statusUrl, duplicate: result.outcome === 'duplicate' });
  });

  router.get('/accounts/:accountId/orders/:orderId', async (req, res) => {
    const { accountId, orderId } = parseOrReject(orderParams, req.params, 'path');
    await requireAccount(accountId);
    const lifecycle = await orders.lifecycle(accountId, orderId);
    if (!lifecycle)
      throw new HttpError(404, 'order_not_found', `Order ${orderId} does not exist for account ${accountId}`);
    res.json(lifecycle);
  });

  return router;
}
