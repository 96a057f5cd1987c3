/** Child processes of the benchmark (workers, API): spawned with tsx, watched for a ready line, measured by RSS. */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export function spawnTs(name: string, file: string, env: Record<string, string>, ready: RegExp): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, file)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<Child>((resolve, reject) => {
    // A child that never gets ready is killed, so a failed start leaves no orphan process behind.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} not ready after 90 s:\n${tail}`));
    }, 90_000);
    const onData = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-20_000);
      if (ready.test(tail)) {
        clearTimeout(timer);
        resolve(handle);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      exited = true;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready:\n${tail}`));
    });
    const handle: Child = {
      name,
      process: child,
      pid: child.pid ?? -1,
      output: () => tail,
      async stop() {
        if (exited) return;
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exitPromise;
        clearTimeout(killer);
      },
    };
  });
}

/** Resident set size of a process in MiB (Linux /proc). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Math.round((Number(kb) / 1024) * 10) / 10;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
