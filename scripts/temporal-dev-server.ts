/**
 * Runs the pinned Temporal CLI dev server as a child process, persisted to a SQLite file, with the
 * Sales Sync search attributes registered and the Web UI on, and waits until it answers.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalCliPath } from '../platform/temporal-binaries';
import { SALES_SYNC_SEARCH_ATTRIBUTES } from '../workflows/support/search-attributes';

export interface DevServerOptions {
  host: string;
  port: number;
  uiPort: number;
  namespace: string;
  dbFile: string;
  logFile: string;
  /** A payload codec server the Web UI calls to decode payloads, when one runs. */
  uiCodecEndpoint?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

function typeName(type: string): string {
  // The CLI's --search-attribute takes Keyword, Text, Int, Double, Bool, Datetime, KeywordList.
  return type.charAt(0).toUpperCase() + type.slice(1).toLowerCase().replace('_list', 'List');
}

async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal dev server did not answer on ${address} within ${timeoutMs} ms: ${String(lastError)}`);
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  mkdirSync(dirname(options.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    options.host,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    options.dbFile,
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    ...SALES_SYNC_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${typeName(key.type)}`]),
    ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
  ];
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const address = `${options.host}:${options.port}`;
  try {
    await waitUntilServing(address, child, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    address,
    uiUrl: `http://${options.host}:${options.uiPort}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(killer);
          log.end();
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
