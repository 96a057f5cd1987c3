/**
 * A time-skipping Temporal test server (pinned binary) with the real worker and activities against
 * the Keap sandbox, for lifecycles that span months and years.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { installTestRuntime } from './runtime';
import { testDatabase } from './database';
import type { Account } from '../../accounts/account';
import { PostgresAccountStore } from '../../accounts/postgres-store';
import { PostgresCheckoutStore } from '../../checkouts/postgres-store';
import { temporalTestServerPath } from '../../platform/temporal-binaries';
import { startKeapSandbox } from '../../keap-sandbox';
import type { KeapSandbox } from '../../keap-sandbox';
import { buildActivityDeps } from '../../workers/activity-deps';
import { createSalesSyncWorker, WORKFLOWS_PATH } from '../../workers/worker';
import { sandboxOAuth } from './stack';
import { SALES_SYNC_SEARCH_ATTRIBUTES } from '../../workflows/support/search-attributes';
import { temporal } from '@temporalio/proto';
import { connectedAccount } from './accounts';

export interface TimeSkippingStack {
  env: TestWorkflowEnvironment;
  sandbox: KeapSandbox;
  accounts: PostgresAccountStore;
  checkouts: PostgresCheckoutStore;
  worker: Worker;
  taskQueue: string;
  addAccount(accountId: string, overrides?: Partial<Account>): Promise<Account>;
  stop(): Promise<void>;
}

export async function startTimeSkippingStack(): Promise<TimeSkippingStack> {
  installTestRuntime();
  const [env, sandbox, workflowBundle, db] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
    }),
    startKeapSandbox({ port: 0 }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }),
    testDatabase(),
  ]);
  // The time-skipping server knows no custom search attributes until they are added.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SALES_SYNC_SEARCH_ATTRIBUTES.map((key) => [
        key.name,
        temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  const accounts = new PostgresAccountStore(db);
  const checkouts = new PostgresCheckoutStore(db);
  const taskQueue = 'sales-sync-time-skipping';
  const worker = await createSalesSyncWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    activities: buildActivityDeps({
      db,
      client: env.client,
      taskQueue,
      oauth: sandboxOAuth(sandbox),
      defaultKeapBaseUrl: sandbox.url,
      keapTimeoutMs: 5_000,
    }),
  });
  const running = worker.run();
  return {
    env,
    sandbox,
    accounts,
    checkouts,
    worker,
    taskQueue,
    async addAccount(accountId, overrides = {}) {
      const account = connectedAccount(accountId, { type: 'apiKey', apiKey: sandbox.apiKey }, overrides);
      await accounts.put(account);
      return account;
    },
    async stop() {
      worker.shutdown();
      await running;
      await Promise.all([env.teardown(), sandbox.close(), db.close()]);
    },
  };
}
