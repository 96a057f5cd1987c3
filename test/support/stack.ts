/**
 * The whole of Sales Sync for end-to-end tests: a real Temporal dev server from the pinned binary
 * (our search attributes registered), the Keap sandbox, a real worker and the real HTTP API on
 * loopback ports. Started once per mocha run (see root-hooks.ts) and shared.
 */
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { installTestRuntime } from './runtime';
import { testDatabase } from './database';
import { PostgresAccountStore } from '../../accounts/postgres-store';
import { PostgresCheckoutStore } from '../../checkouts/postgres-store';
import { startApi } from '../../api/server';
import type { RunningApi } from '../../api/server';
import type { Database } from '../../platform/database';
import { createLogger } from '../../platform/logger';
import { encryptedDataConverter, parsePayloadKeys } from '../../platform/payload-codec';
import { temporalCliPath } from '../../platform/temporal-binaries';
import { DEFAULT_OAUTH_CLIENT, startKeapSandbox } from '../../keap-sandbox';
import type { KeapSandbox } from '../../keap-sandbox';
import { buildActivityDeps } from '../../workers/activity-deps';
import { createSalesSyncWorker, WORKFLOWS_PATH } from '../../workers/worker';
import { SALES_SYNC_SEARCH_ATTRIBUTES } from '../../workflows/support/search-attributes';

export const API_TOKEN = 'test-token-0123456789abcdef';
export const TASK_QUEUE = 'sales-sync-test';
export const STRIPE_WEBHOOK_SECRET = 'whsec_test_0123456789abcdef';
/** Payloads are encrypted in tests as in production, so every test runs the codec. */
export const PAYLOAD_KEYS = parsePayloadKeys(`test1:${Buffer.alloc(32, 7).toString('base64')}`);
export const TEST_DATA_CONVERTER = encryptedDataConverter(PAYLOAD_KEYS);

export interface Stack {
  env: TestWorkflowEnvironment;
  client: Client;
  sandbox: KeapSandbox;
  api: RunningApi;
  /** A fresh PostgreSQL database of this stack's own. */
  db: Database;
  accounts: PostgresAccountStore;
  checkouts: PostgresCheckoutStore;
  worker: Worker;
  /** Everything the API logged so far. */
  logs(): string;
  /** Calls the API with the bearer token; returns status and parsed JSON. */
  call(
    method: string,
    path: string,
    body?: unknown,
    init?: { token?: string | null; headers?: Record<string, string>; rawBody?: string },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export const OAUTH_REDIRECT_URI = 'https://merchant.example/keap/callback';

/** The sandbox's own OAuth app, as the deployment's Keap OAuth configuration. */
export function sandboxOAuth(sandbox: KeapSandbox) {
  return {
    tokenUrl: sandbox.oauth.tokenUrl,
    clientId: DEFAULT_OAUTH_CLIENT.clientId,
    clientSecret: DEFAULT_OAUTH_CLIENT.clientSecret,
    redirectUri: OAUTH_REDIRECT_URI,
  };
}

let started: Promise<Stack> | undefined;

export function getStack(): Promise<Stack> {
  started ??= startStack();
  return started;
}

export async function stopStack(): Promise<void> {
  if (started) await (await started).stop();
  started = undefined;
}

async function startStack(): Promise<Stack> {
  installTestRuntime();
  // Every API log line is kept (at debug level) so tests can check that nothing secret is logged.
  const logLines: string[] = [];
  const logger = createLogger('debug', 'sales-sync-test', { write: (line: string) => void logLines.push(line) });
  const [env, sandbox, workflowBundle, db] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalCliPath() },
        ip: '127.0.0.1',
        searchAttributes: SALES_SYNC_SEARCH_ATTRIBUTES,
      },
      client: { dataConverter: TEST_DATA_CONVERTER },
    }),
    startKeapSandbox({ port: 0 }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }),
    testDatabase(),
  ]);
  const accounts = new PostgresAccountStore(db);
  const checkouts = new PostgresCheckoutStore(db);
  const worker = await createSalesSyncWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle,
    dataConverter: TEST_DATA_CONVERTER,
    activities: buildActivityDeps({
      db,
      client: env.client,
      taskQueue: TASK_QUEUE,
      oauth: sandboxOAuth(sandbox),
      defaultKeapBaseUrl: sandbox.url,
      keapTimeoutMs: 5_000,
    }),
  });
  const workerRunning = worker.run();
  const api = await startApi({
    config: {
      api: { host: '127.0.0.1', port: 0, token: API_TOKEN, tokenIsDevDefault: false, maxBodyBytes: 64 * 1024 },
      temporal: { taskQueue: TASK_QUEUE },
      stripe: { webhookSecret: STRIPE_WEBHOOK_SECRET, webhookSecretIsDevDefault: false, toleranceSeconds: 300 },
      keap: { oauth: sandboxOAuth(sandbox), timeoutMs: 5_000 },
    },
    client: env.client,
    db,
    accounts,
    payloadKeys: PAYLOAD_KEYS,
    codecAllowedOrigins: ['http://127.0.0.1:8233'],
    checkouts,
    // A checkout's workflow completes after 1 s without publishes (1 h in production), so tests also
    // cover a publish that starts a new run.
    checkoutOptions: { quietPeriodMs: 1_000 },
    logger,
  });

  const call: Stack['call'] = async (method, path, body, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token !== null) headers.authorization = `Bearer ${init.token ?? API_TOKEN}`;
    let payload: string | undefined = init.rawBody;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${api.url}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: tests see the raw text.
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  return {
    env,
    client: env.client,
    sandbox,
    api,
    db,
    accounts,
    checkouts,
    worker,
    logs: () => logLines.join(''),
    call,
    async stop() {
      await api.close();
      worker.shutdown();
      await workerRunning;
      await Promise.all([env.teardown(), sandbox.close(), db.close()]);
    },
  };
}
