import { Router } from 'express';
import type { AccountStore } from '../../accounts/account';
import { redactAccount } from '../../accounts/account';
import { HttpError } from '../errors';
import { accountIdParams, accountPutSchema } from '../schemas';
import { parseOrReject } from '../validate';

export function accountRoutes(accounts: AccountStore): Router {
  const router = Router();

  router.put('/accounts/:accountId', async (req, res) => {
    const { accountId } = parseOrReject(accountIdParams, req.params, 'path');
    const body = parseOrReject(accountPutSchema, req.body, 'account');
    const existing = await accounts.get(accountId);
    const now = new Date().toISOString();
    const account = { accountId, ...body, createdAt: existing?.createdAt ?? now, updatedAt: now };
    await accounts.put(account);
    res.status(existing ? 200 : 201).json(redactAccount(account));
  });

  router.get('/accounts/:accountId', async (req, res) => {
    const { accountId } = parseOrReject(accountIdParams, req.params, 'path');
    const account = await accounts.get(accountId);
    if (!account) throw new HttpError(404, 'account_not_found', `Account ${accountId} does not exist`);
    res.json(redactAccount(account));
  });

  return router;
}
