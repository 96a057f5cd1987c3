/** The Express app: JSON in and out, bearer auth on /v1, one error mapping. No listening here. */
import express from 'express';
import type { RequestHandler } from 'express';
import type { AccountStore } from '../accounts/account';
import type { Logger } from '../platform/logger';
import type { PayloadCodec } from '@temporalio/common';
import { requireBearerToken } from './auth';
import { codecRoutes } from './codec-routes';
import { rejectCardData } from './card-data';
import { errorHandler, HttpError, notFound } from './errors';
import { buildOpenApiDocument } from './openapi';
import type { OrderClient } from '../orders/client';
import type { AccountService } from './account-service';
import { accountRoutes } from './routes/accounts';
import { orderRoutes } from './routes/orders';
import type { CheckoutClient } from '../checkouts/client';
import { checkoutRoutes } from './routes/checkouts';
import { stripeWebhookRouter } from './stripe/webhook-route';

export interface AppDeps {
  accounts: AccountStore;
  accountService: AccountService;
  orders: OrderClient;
  /** Checkout product sync; its routes are served when set. */
  checkouts?: CheckoutClient;
  apiToken: string;
  maxBodyBytes: number;
  logger: Logger;
  /** The payload codec endpoint for the Temporal UI, when payloads are encrypted. */
  codec?: { codec: PayloadCodec; allowedOrigins: string[]; requireAuth: boolean };
  /** Stripe webhooks are served only when a signing secret is configured. */
  stripeWebhook?: { secret: string; toleranceSeconds: number };
}

/** A body that is not JSON gets a 415 rather than being silently ignored. */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    return next(new HttpError(415, 'unsupported_media_type', 'Send the body as application/json'));
  }
  next();
};

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const openApiDocument = buildOpenApiDocument();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const v1 = express.Router();
  if (deps.stripeWebhook) {
    // Before the bearer check and the JSON parser: Stripe cannot send our token, and signs the raw body.
    v1.use(
      stripeWebhookRouter({
        endpointSecret: deps.stripeWebhook.secret,
        toleranceSeconds: deps.stripeWebhook.toleranceSeconds,
        logger: deps.logger,
        async deliver({ accountId, orderId, event }) {
          if (!(await deps.accounts.get(accountId))) return { ignored: `account ${accountId} does not exist` };
          return deps.orders.deliver(accountId, orderId, event);
        },
      }),
    );
  }
  v1.use(requireBearerToken(deps.apiToken));
  v1.use(requireJsonBody, express.json({ limit: deps.maxBodyBytes, type: 'application/json', strict: true }));
  v1.use(rejectCardData);
  v1.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  v1.use(accountRoutes(deps.accountService));
  v1.use(orderRoutes(deps.accounts, deps.orders, deps.checkouts));
  if (deps.checkouts) v1.use(checkoutRoutes(deps.accounts, deps.checkouts));
  app.use('/v1', v1);
  if (deps.codec) {
    const { codec, allowedOrigins, requireAuth } = deps.codec;
    app.use(
      '/codec',
      codecRoutes({ codec, allowedOrigins, requireAuth: requireAuth ? requireBearerToken(deps.apiToken) : undefined }),
    );
  }

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
