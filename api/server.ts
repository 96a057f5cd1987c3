/** Starts the HTTP API on a host and port; used by api/main.ts, npm start and the tests. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { AccountStore } from '../accounts/account';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { AccountClient } from '../accounts/client';
import { KeapConnections } from '../accounts/connections';
import { KeapOAuthClient } from '../keap/oauth';
import { AccountService } from './account-service';
import { createApp } from './app';
import { AesGcmPayloadCodec } from '../platform/payload-codec';
import type { PayloadKey } from '../platform/payload-codec';
import { OrderClient } from '../orders/client';
import { OrderRegistry } from '../orders/registry';
import type { Database } from '../platform/database';
import type { CheckoutStore } from '../checkouts/store';
import { CheckoutClient } from '../checkouts/client';
import type { CheckoutClientOptions } from '../checkouts/client';

export interface RunningApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function startApi(options: {
  config: Pick<Config, 'api' | 'stripe'> & {
    temporal: { taskQueue: string };
    keap: Pick<Config['keap'], 'oauth' | 'timeoutMs'>;
  };
  /** Payload encryption keys: serves the codec endpoint for the Temporal UI. */
  payloadKeys?: PayloadKey[];
  /** Web UI origins allowed to call the codec endpoint. */
  codecAllowedOrigins?: string[];
  /** Index the customer's email as a search attribute (else it only exists encrypted). */
  emailSearchAttribute?: boolean;
  /** Workflow options, e.g. a low continue-as-new threshold in tests. */
  orderWorkflowOptions?: ConstructorParameters<typeof OrderClient>[2];
  client: Client;
  /** The shared database: orders placed before are recognised there after Temporal's retention. */
  db: Database;
  accounts: AccountStore;
  /** Published checkouts; without it the checkout routes are not served. */
  checkouts?: CheckoutStore;
  checkoutOptions?: CheckoutClientOptions;
  logger: Logger;
}): Promise<RunningApi> {
  const { config, client, accounts, logger } = options;
  const secret = config.stripe.webhookSecret;
  const orders = new OrderClient(
    client,
    config.temporal.taskQueue,
    options.orderWorkflowOptions,
    { emailSearchAttribute: options.emailSearchAttribute ?? true },
    new OrderRegistry(options.db),
  );
  const oauth = config.keap.oauth;
  const checkouts =
    options.checkouts &&
    new CheckoutClient(client, config.temporal.taskQueue, options.checkouts, options.checkoutOptions);
  const accountService = new AccountService({
    accounts,
    connections: new KeapConnections(
      accounts,
      oauth ? new KeapOAuthClient(oauth, { timeoutMs: config.keap.timeoutMs }) : undefined,
    ),
    accountWorkflows: new AccountClient(client, config.temporal.taskQueue),
    orders,
    oauthRedirectUri: oauth?.redirectUri,
    // Turning Sales Sync on (or reconnecting) syncs every published checkout: no republish chore.
    resyncCheckouts: checkouts ? (accountId) => checkouts.resyncAll(accountId) : undefined,
  });
  const app = createApp({
    accounts,
    checkouts,
    accountService,
    orders,
    stripeWebhook: secret ? { secret, toleranceSeconds: config.stripe.toleranceSeconds } : undefined,
    codec: options.payloadKeys
      ? {
          codec: new AesGcmPayloadCodec(options.payloadKeys),
          allowedOrigins: options.codecAllowedOrigins ?? [],
          requireAuth: !config.api.tokenIsDevDefault,
        }
      : undefined,
    apiToken: config.api.token,
    maxBodyBytes: config.api.maxBodyBytes,
    logger,
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(config.api.port, config.api.host);
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${config.api.host}:${port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
