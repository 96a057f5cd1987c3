/** Standalone API process (docker-compose's `api` service). Needs a running Temporal server and DATABASE_URL. */
import { PostgresAccountStore } from '../accounts/postgres-store';
import { PostgresCheckoutStore } from '../checkouts/postgres-store';
import { loadConfig, requireDatabaseUrl } from '../platform/config';
import { encryptedDataConverter } from '../platform/payload-codec';
import { createLogger } from '../platform/logger';
import { openDatabase } from '../platform/open-database';
import { onShutdown } from '../platform/shutdown';
import { connectClient } from '../platform/temporal-connection';
import { startApi } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'api');
  if (config.api.tokenIsDevDefault) logger.warn('SALES_SYNC_API_TOKEN is not set: using the development token');
  const databaseUrl = requireDatabaseUrl(config, 'API');
  const shutdown = onShutdown(logger);
  const db = await openDatabase(databaseUrl, config.dataDir, logger);
  shutdown.add('database', () => db.close());
  const client = await connectClient(config.temporal, encryptedDataConverter(config.temporalPayloads.keys));
  const api = await startApi({
    config,
    client,
    db,
    accounts: new PostgresAccountStore(db),
    checkouts: new PostgresCheckoutStore(db),
    logger,
    payloadKeys: config.temporalPayloads.keys,
    codecAllowedOrigins: process.env.SALES_SYNC_CODEC_ALLOWED_ORIGINS?.split(',').filter(Boolean),
    emailSearchAttribute: config.temporalPayloads.emailSearchAttribute,
  });
  shutdown.add('temporal client', () => client.connection.close());
  shutdown.add('api', () => api.close());
  logger.info(`API listening on ${api.url}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
