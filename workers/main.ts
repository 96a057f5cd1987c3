/** Standalone worker process (docker-compose's `worker` service). Needs a running Temporal server and DATABASE_URL. */
import { loadConfig, requireDatabaseUrl } from '../platform/config';
import { encryptedDataConverter } from '../platform/payload-codec';
import { createLogger } from '../platform/logger';
import { openDatabase } from '../platform/open-database';
import { onShutdown } from '../platform/shutdown';
import { connectClient, connectWorker, temporalAddress } from '../platform/temporal-connection';
import { buildActivityDeps } from './activity-deps';
import { createSalesSyncWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'worker');
  const databaseUrl = requireDatabaseUrl(config, 'worker');
  const shutdown = onShutdown(logger);
  const db = await openDatabase(databaseUrl, config.dataDir, logger);
  shutdown.add('database', () => db.close());
  const connection = await connectWorker(config.temporal);
  // Activities ask the account workflow for serialised token refreshes through a client.
  const client = await connectClient(config.temporal, encryptedDataConverter(config.temporalPayloads.keys));
  const worker = await createSalesSyncWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    dataConverter: encryptedDataConverter(config.temporalPayloads.keys),
    tuning: { maxCachedWorkflows: config.worker.maxCachedWorkflows },
    activities: buildActivityDeps({
      db,
      client,
      taskQueue: config.temporal.taskQueue,
      oauth: config.keap.oauth,
      defaultKeapBaseUrl: config.keap.defaultBaseUrl,
      keapTimeoutMs: config.keap.timeoutMs,
    }),
  });
  logger.info(`worker polling ${config.temporal.taskQueue} on ${temporalAddress(config.temporal)}`);
  const running = worker.run();
  shutdown.add('worker', async () => {
    // The SDK already starts draining on SIGINT/SIGTERM; only ask when it has not.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
    await client.connection.close();
  });
  await running;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
