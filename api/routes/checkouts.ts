import { Router } from 'express';
import type { AccountStore } from '../../accounts/account';
import { checkoutParams, checkoutPutSchema, resyncParams } from '../../checkouts/checkout-schema';
import { requireAccount } from '../account-service';
import type { CheckoutClient } from '../../checkouts/client';
import { checkoutUrl } from '../../checkouts/client';
import { HttpError } from '../errors';
import { accountIdParams } from '../schemas';
import { parseOrReject } from '../validate';

export function checkoutRoutes(accounts: AccountStore, checkouts: CheckoutClient): Router {
  const router = Router();

  /** Publish (or unpublish, with active: false) a checkout: its Keap product is created or updated. */
  router.put('/accounts/:accountId/checkouts/:checkoutId', async (req, res) => {
    const { accountId, checkoutId } = parseOrReject(checkoutParams, req.params, 'path');
    const checkout = parseOrReject(checkoutPutSchema, req.body, 'checkout');
    await requireAccount(accounts, accountId);
    const published = await checkouts.put(accountId, checkoutId, checkout);
    const url = checkoutUrl(accountId, checkoutId);
    res.status(202).location(url).json({
      checkoutId,
      sku: published.sku,
      version: published.version,
      workflowId: published.workflowId,
      syncStatusUrl: url,
    });
  });

  router.get('/accounts/:accountId/checkouts/:checkoutId', async (req, res) => {
    const { accountId, checkoutId } = parseOrReject(checkoutParams, req.params, 'path');
    await requireAccount(accounts, accountId);
    const view = await checkouts.get(accountId, checkoutId);
    if (!view)
      throw new HttpError(
        404,
        'checkout_not_found',
        `Checkout ${checkoutId} was never published for account ${accountId}`,
      );
    res.json(view);
  });

  // Express 5 (path-to-regexp 8): the colon of the custom method is escaped.
  router.post('/accounts/:accountId/checkouts\\:resync', async (req, res) => {
    const { accountId } = parseOrReject(accountIdParams, req.params, 'path');
    await requireAccount(accounts, accountId);
    const started = await checkouts.resyncAll(accountId);
    res.status(202).location(started.statusUrl).json(started);
  });

  router.get('/accounts/:accountId/resyncs/:resyncId', async (req, res) => {
    const { accountId, resyncId } = parseOrReject(resyncParams, req.params, 'path');
    await requireAccount(accounts, accountId);
    const progress = await checkouts.resyncProgress(accountId, resyncId);
    if (!progress)
      throw new HttpError(404, 'resync_not_found', `Resync ${resyncId} does not exist for account ${accountId}`);
    res.json(progress);
  });

  return router;
}
