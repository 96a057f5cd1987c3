import { Router } from 'express';
import type { AccountStore } from '../../accounts/account';
import { orderAmountProblems } from '../../orders/order';
import { orderWorkflowId } from '../../orders/workflow/definitions';
import type { OrderEvent } from '../../orders/order-events';
import type { LineItem, OrderInput, OrderRequest } from '../../orders/order-schema';
import { orderRequestSchema, paymentSchema } from '../../orders/order-schema';
import { requireAccount } from '../account-service';
import type { CheckoutClient } from '../../checkouts/client';
import { HttpError } from '../errors';
import type { OrderClient } from '../../orders/client';
import { accountIdParams, cancelRequestSchema, orderParams } from '../schemas';
import { parseOrReject } from '../validate';

/**
 * Gives every line its SKU: a line bought through a checkout uses that checkout's product (synced by
 * SKU), and a checkout whose product is not synced yet is synced now; the order waits for it.
 */
async function resolveLines(
  accountId: string,
  input: OrderInput,
  checkouts: CheckoutClient | undefined,
): Promise<OrderRequest> {
  const items: LineItem[] = [];
  const toSync = new Set<string>();
  for (const [index, item] of input.items.entries()) {
    if (item.checkoutId === undefined) {
      items.push({ ...item, sku: item.sku as string });
      continue;
    }
    const checkout = checkouts ? await checkouts.get(accountId, item.checkoutId) : undefined;
    if (!checkout) {
      throw new HttpError(
        422,
        'unknown_checkout',
        `items.${index}.checkoutId: checkout ${item.checkoutId} was never published`,
        [{ path: `items.${index}.checkoutId`, message: 'was never published' }],
      );
    }
    if (item.sku !== undefined && item.sku !== checkout.sku) {
      throw new HttpError(422, 'sku_mismatch', `items.${index}.sku must be the checkout's SKU, ${checkout.sku}`, [
        { path: `items.${index}.sku`, message: `must be ${checkout.sku}` },
      ]);
    }
    if (checkout.status !== 'Synced' && checkout.status !== 'Deactivated') toSync.add(item.checkoutId);
    items.push({ ...item, sku: checkout.sku });
  }
  for (const checkoutId of toSync) await checkouts?.publish(accountId, checkoutId);
  return { ...input, items };
}

export function orderRoutes(accounts: AccountStore, orders: OrderClient, checkouts?: CheckoutClient): Router {
  const router = Router();

  const statusUrl = (accountId: string, orderId: string) => `/v1/accounts/${accountId}/orders/${orderId}`;

  router.post('/accounts/:accountId/orders', async (req, res) => {
    const { accountId } = parseOrReject(accountIdParams, req.params, 'path');
    const input = parseOrReject(orderRequestSchema, req.body, 'order');
    const problems = orderAmountProblems(input);
    if (problems.length > 0) {
      const summary = problems.map((p) => `${p.path} ${p.message}`).join('; ');
      throw new HttpError(422, 'amount_mismatch', `The amounts do not agree: ${summary}`, problems);
    }
    const account = await requireAccount(accounts, accountId);
    if (account.currency !== undefined && account.currency !== input.currency) {
      // Keap would read every amount in the app's currency: refused before anything is started.
      throw new HttpError(
        422,
        'currency_mismatch',
        `The order is in ${input.currency} but account ${accountId}'s Keap app keeps its books in ${account.currency}`,
        [{ path: 'currency', message: `must be ${account.currency}, the currency of the account's Keap app` }],
      );
    }
    const order = await resolveLines(accountId, input, checkouts);
    const result = await orders.submit(account, order);
    if (result.outcome === 'conflict') {
      throw new HttpError(
        409,
        'order_conflict',
        `Order ${order.orderId} was already received with different content; an order id cannot be reused`,
      );
    }
    const url = statusUrl(accountId, order.orderId);
    res
      .status(202)
      .location(url)
      .json({ workflowId: result.workflowId, statusUrl: url, duplicate: result.outcome === 'duplicate' });
  });

  /**
   * Delivers an event (an ended order records it in a run for late events); only an ended order placed
   * before the order registry existed cannot take it: a 409, unless it is a repeat.
   */
  async function deliver(accountId: string, orderId: string, event: OrderEvent, repeatOf?: string) {
    const outcome = await orders.deliver(accountId, orderId, event);
    const workflowId = orderWorkflowId(accountId, orderId);
    if (outcome === 'delivered') return { workflowId, delivered: true };
    const lifecycle = await orders.lifecycle(accountId, orderId);
    if (repeatOf && lifecycle?.payments.some((p) => p.id === repeatOf))
      return { workflowId, delivered: false, duplicate: true };
    throw new HttpError(
      409,
      'order_closed',
      `Order ${orderId} has ended (${lifecycle?.status ?? 'closed'}); the event changes nothing`,
    );
  }

  router.post('/accounts/:accountId/orders/:orderId/payments', async (req, res) => {
    const { accountId, orderId } = parseOrReject(orderParams, req.params, 'path');
    const payment = parseOrReject(paymentSchema, req.body, 'payment');
    await requireAccount(accounts, accountId);
    const body = await deliver(
      accountId,
      orderId,
      { kind: 'payment', payment: { ...payment, sequence: 'unknown', source: 'api' } },
      payment.id,
    );
    res.status(202).location(statusUrl(accountId, orderId)).json(body);
  });

  router.post('/accounts/:accountId/orders/:orderId/cancel', async (req, res) => {
    const { accountId, orderId } = parseOrReject(orderParams, req.params, 'path');
    const cancel = parseOrReject(cancelRequestSchema, req.body ?? {}, 'cancellation');
    await requireAccount(accounts, accountId);
    const at = cancel.at ?? new Date().toISOString();
    const body = await deliver(accountId, orderId, {
      kind: 'cancelled',
      cancellation: { at, reason: cancel.reason, source: 'api' },
    });
    res.status(202).location(statusUrl(accountId, orderId)).json(body);
  });

  router.post('/accounts/:accountId/orders/:orderId/resume', async (req, res) => {
    const { accountId, orderId } = parseOrReject(orderParams, req.params, 'path');
    await requireAccount(accounts, accountId);
    const outcome = await orders.resume(accountId, orderId);
    if (outcome === 'not_found')
      throw new HttpError(404, 'order_not_found', `Order ${orderId} does not exist for account ${accountId}`);
    if (outcome === 'not_waiting') {
      throw new HttpError(
        409,
        'order_not_waiting',
        `Order ${orderId} is not waiting for an operator (not NeedsAttention)`,
      );
    }
    res
      .status(202)
      .location(statusUrl(accountId, orderId))
      .json({ workflowId: orderWorkflowId(accountId, orderId), resumed: true });
  });

  router.get('/accounts/:accountId/orders/:orderId', async (req, res) => {
    const { accountId, orderId } = parseOrReject(orderParams, req.params, 'path');
    await requireAccount(accounts, accountId);
    const lifecycle = await orders.lifecycle(accountId, orderId);
    if (!lifecycle)
      throw new HttpError(404, 'order_not_found', `Order ${orderId} does not exist for account ${accountId}`);
    res.json(lifecycle);
  });

  return router;
}
