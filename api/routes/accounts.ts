import { Router } from 'express';
import { redactAccount } from '../../accounts/account';
import type { AccountService } from '../account-service';
import { accountIdParams, accountPatchSchema, accountPutSchema } from '../schemas';
import { parseOrReject } from '../validate';

export function accountRoutes(service: AccountService): Router {
  const router = Router();

  router.put('/accounts/:accountId', async (req, res) => {
    const { accountId } = parseOrReject(accountIdParams, req.params, 'path');
    const body = parseOrReject(accountPutSchema, req.body, 'account');
    const { account, created } = await service.put(accountId, body);
    res.status(created ? 201 : 200).json(redactAccount(account));
  });

  router.patch('/accounts/:accountId', async (req, res) => {
    const { accountId } = parseOrReject(accountIdParams, req.params, 'path');
    const patch = parseOrReject(accountPatchSchema, req.body, 'account settings');
    res.json(redactAccount(await service.patch(accountId, patch)));
  });

  router.get('/accounts/:accountId', async (req, res) => {
    const { accountId } = parseOrReject(accountIdParams, req.params, 'path');
    res.json(redactAccount(await service.require(accountId)));
  });

  router.delete('/accounts/:accountId/connection', async (req, res) => {
    const { accountId } = parseOrReject(accountIdParams, req.params, 'path');
    res.json(redactAccount(await service.disconnect(accountId)));
  });

  return router;
}
