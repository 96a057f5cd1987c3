/**
 * A real PostgreSQL for the tests, started the way `npm start` starts it (platform/embedded-postgres.ts):
 * one server per mocha process, started on first use on a free loopback port with its cluster in a
 * temp folder, and stopped (folder removed) by the root hook after the last test file. Every
 * `testDatabase()` is a fresh, empty database with the migrations applied, so tests never see each
 * other's rows.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/processes';
import { Database } from '../../platform/database';
import { startEmbeddedPostgres } from '../../platform/embedded-postgres';
import type { EmbeddedPostgresServer } from '../../platform/embedded-postgres';

interface TestServer {
  server: EmbeddedPostgresServer;
  dir: string;
}

let starting: Promise<TestServer> | undefined;
const opened = new Set<Database>();

async function startServer(): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sales-sync-test-postgres-'));
  const log: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      const server = await startEmbeddedPostgres({
        dir,
        port: await freePort(),
        onLog: (line) => log.push(line),
      });
      return { server, dir };
    } catch (error) {
      // Another process may take the probed port before the server binds it: try another.
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`The test PostgreSQL did not start: ${String(error)}\n${log.slice(-20).join('\n')}`);
      }
    }
  }
}

/** The URL of a fresh, migrated database on the test server (for processes that connect themselves). */
export async function testDatabaseUrl(): Promise<string> {
  starting ??= startServer();
  const { server } = await starting;
  const name = `test_${process.pid}_${randomBytes(5).toString('hex')}`;
  await server.createDatabase(name);
  const url = server.url(name);
  const db = await Database.connect(url);
  await db.close();
  return url;
}

/** A fresh database with the migrations applied; closed by the root hook if the test does not close it. */
export async function testDatabase(): Promise<Database> {
  const db = await Database.connect(await testDatabaseUrl());
  opened.add(db);
  return db;
}

/** Stops the test server (root hook, after every test file). */
export async function stopTestDatabases(): Promise<void> {
  if (!starting) return;
  const pending = starting;
  starting = undefined;
  await Promise.all([...opened].map((db) => db.close().catch(() => undefined)));
  opened.clear();
  const { server, dir } = await pending;
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** One fresh database opened `count` times, as `count` processes would (each its own pools). */
export async function sharedTestDatabase(count: number): Promise<Database[]> {
  const url = await testDatabaseUrl();
  return Promise.all(
    Array.from({ length: count }, async () => {
      const db = await Database.connect(url, { migrate: false });
      opened.add(db);
      return db;
    }),
  );
}
