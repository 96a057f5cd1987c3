/**
 * `npm start`: the whole of Sales Sync in one command, for a laptop or a demo. Without
 * TEMPORAL_ADDRESS it runs a local Temporal dev server persisted to data/temporal.db (so a restart
 * keeps every workflow) with the Web UI; without KEAP_BASE_URL it runs the bundled Keap sandbox and
 * points accounts that name no Keap URL at it; without DATABASE_URL it runs an embedded PostgreSQL
 * with its data in data/postgres. Then the worker and the API. Ctrl-C stops it all.
 */
import { join } from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { PostgresAccountStore } from '../accounts/postgres-store';
import { PostgresCheckoutStore } from '../checkouts/postgres-store';
import { startApi } from '../api/server';
import { loadConfig } from '../platform/config';
import { startEmbeddedPostgres } from '../platform/embedded-postgres';
import { createLogger } from '../platform/logger';
import { openDatabase } from '../platform/open-database';
import { onShutdown } from '../platform/shutdown';
import { connectClient, connectWorker, temporalAddress } from '../platform/temporal-connection';
import { loadOrCreateDevPayloadKeys } from '../platform/dev-payload-key';
import { encryptedDataConverter } from '../platform/payload-codec';
import { DEFAULT_OAUTH_CLIENT, startKeapSandbox } from '../keap-sandbox';
import { buildActivityDeps } from '../workers/activity-deps';
import { createSalesSyncWorker } from '../workers/worker';
import { startDevServer } from './temporal-dev-server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'sales-sync');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const shutdown = onShutdown(logger);
  const lines: string[] = [];
  // Payloads are encrypted in Temporal; the UI reads them through our codec endpoint.
  const payloadKeys = config.temporalPayloads.keys ?? loadOrCreateDevPayloadKeys(config.dataDir);
  const dataConverter = encryptedDataConverter(payloadKeys);

  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    const postgresDir = join(config.dataDir, 'postgres');
    const postgres = await startEmbeddedPostgres({ dir: postgresDir, port: config.database.embeddedPort });
    shutdown.add('PostgreSQL', () => postgres.stop());
    await postgres.createDatabase('sales_sync');
    databaseUrl = postgres.url('sales_sync');
    lines.push(
      `PostgreSQL           127.0.0.1:${config.database.embeddedPort}, database sales_sync (data in ${postgresDir}; set DATABASE_URL to use another)`,
    );
  } else {
    lines.push(`PostgreSQL           ${redactedDatabaseUrl(databaseUrl)}`);
  }
  const db = await openDatabase(databaseUrl, config.dataDir, logger);
  shutdown.add('database connections', () => db.close());

  let uiUrl: string | undefined;
  if (!config.temporal.address) {
    const dev = await startDevServer({
      host: '127.0.0.1',
      port: config.temporal.devServer.port,
      uiPort: config.temporal.devServer.uiPort,
      namespace: config.temporal.namespace,
      dbFile: join(config.dataDir, 'temporal.db'),
      logFile: join(config.dataDir, 'temporal.log'),
      uiCodecEndpoint: `http://127.0.0.1:${config.api.port}/codec`,
    });
    shutdown.add('Temporal dev server', () => dev.stop());
    uiUrl = dev.uiUrl;
    lines.push(`Temporal dev server  ${dev.address} (data in ${join(config.dataDir, 'temporal.db')})`);
    lines.push(`Temporal Web UI      ${dev.uiUrl}/namespaces/${config.temporal.namespace}/workflows`);
  } else {
    lines.push(`Temporal             ${temporalAddress(config.temporal)} (namespace ${config.temporal.namespace})`);
  }

  let keapBaseUrl = config.keap.defaultBaseUrl;
  let oauth = config.keap.oauth;
  let sandboxKey: string | undefined;
  if (config.keap.sandbox.enabled) {
    // Persisted beside the Temporal database, so a restart keeps the Keap records workflows point at.
    const sandbox = await startKeapSandbox({
      host: '127.0.0.1',
      port: config.keap.sandbox.port,
      stateFile: join(config.dataDir, 'keap-sandbox.json'),
    });
    shutdown.add('Keap sandbox', () => sandbox.close());
    keapBaseUrl = sandbox.url;
    sandboxKey = sandbox.apiKeys[0];
    // Without a Keap OAuth app configured, OAuth connections go to the sandbox's own token endpoint.
    oauth ??= {
      tokenUrl: new URL('/token', sandbox.url).toString(),
      clientId: DEFAULT_OAUTH_CLIENT.clientId,
      clientSecret: DEFAULT_OAUTH_CLIENT.clientSecret,
      redirectUri: `http://127.0.0.1:${config.api.port}/oauth/callback`,
    };
    lines.push(`Keap sandbox         ${sandbox.url} (API key "${sandboxKey}"; set KEAP_BASE_URL to use real Keap)`);
  } else {
    lines.push(`Keap                 ${keapBaseUrl} (default for accounts without keapBaseUrl)`);
  }

  const accounts = new PostgresAccountStore(db);
  const checkouts = new PostgresCheckoutStore(db);
  const client = await connectClient(config.temporal, dataConverter);
  shutdown.add('Temporal client', () => client.connection.close());
  const workerConnection = await connectWorker(config.temporal);
  const worker = await createSalesSyncWorker({
    connection: workerConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    dataConverter,
    tuning: { maxCachedWorkflows: config.worker.maxCachedWorkflows },
    activities: buildActivityDeps({
      db,
      client,
      taskQueue: config.temporal.taskQueue,
      oauth,
      defaultKeapBaseUrl: keapBaseUrl,
      keapTimeoutMs: config.keap.timeoutMs,
    }),
  });
  const workerRunning = worker.run();
  shutdown.add('worker', async () => {
    // The SDK already starts draining on SIGINT/SIGTERM; only ask when it has not.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRunning;
    await workerConnection.close();
  });

  const api = await startApi({
    config: { ...config, keap: { ...config.keap, oauth } },
    client,
    db,
    accounts,
    checkouts,
    logger,
    payloadKeys,
    codecAllowedOrigins: [
      `http://127.0.0.1:${config.temporal.devServer.uiPort}`,
      `http://localhost:${config.temporal.devServer.uiPort}`,
    ],
    emailSearchAttribute: config.temporalPayloads.emailSearchAttribute,
  });
  shutdown.add('API', () => api.close());
  lines.push(
    `Sales Sync API       ${api.url} (Authorization: Bearer ${config.api.tokenIsDevDefault ? config.api.token : '<SALES_SYNC_API_TOKEN>'})`,
  );
  lines.push(`OpenAPI              ${api.url}/v1/openapi.json`);
  if (config.stripe.webhookSecret) {
    const secret = config.stripe.webhookSecretIsDevDefault ? ` (signing secret "${config.stripe.webhookSecret}")` : '';
    lines.push(`Stripe webhooks      ${api.url}/v1/webhooks/stripe${secret}`);
  }

  console.log(`\nSales Sync is running.\n\n  ${lines.join('\n  ')}\n`);
  if (sandboxKey) {
    console.log(`Try it (README "Post an order"): connect a demo account to the sandbox, then post an order:
  curl -s -X PUT ${api.url}/v1/accounts/demo -H 'Authorization: Bearer ${config.api.token}' -H 'Content-Type: application/json' \\
    -d '{"keap":{"apiKey":"${sandboxKey}"},"salesSyncEnabled":true,"paymentMethodType":"Stripe"}'
`);
  }
  if (uiUrl) console.log(`Find an order in the UI with: SalesSyncCustomerEmail="customer@example.com"\n`);
  console.log('Press Ctrl-C to stop.');
  await workerRunning;
}

/** The URL without its password, for the banner. */
function redactedDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
