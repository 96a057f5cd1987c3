import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/**
 * Installs the Temporal runtime once per test process, quiet (core logs included): tests provoke
 * activity failures and non-determinism on purpose.
 */
export function installTestRuntime(): void {
  if (installed) return;
  // SALES_SYNC_TEST_LOG=WARN (or INFO, DEBUG) shows what the SDK and its core say, to debug a test.
  const level = (process.env.SALES_SYNC_TEST_LOG ?? 'ERROR') as 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
  });
  installed = true;
}
