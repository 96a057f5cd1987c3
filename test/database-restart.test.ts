/**
 * A PostgreSQL restart is ridden out (found by the chaos suite's database restart): a connection that
 * is checked out when the server goes, holding an advisory lock across a Keap call or in the middle of
 * a transaction, fails its work retryably instead of ending the process with an unheard 'error' event,
 * and once the server is back the same Database works again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../bench/processes';
import { Database } from '../platform/database';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../platform/embedded-postgres';

describe('database restart', function () {
  this.timeout(120_000);
  let dir: string;
  let port: number;
  let server: EmbeddedPostgresServer;
  let db: Database | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sales-sync-restart-postgres-'));
    port = await freePort();
    server = await startEmbeddedPostgres({ dir, port });
    await server.createDatabase('restart');
  });

  after(async () => {
    await db?.close().catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails the work of a connection the restart cut, and serves again after it', async () => {
    db = await Database.connect(server.url('restart'));
    await db.query('CREATE TABLE marks (n int)');
    const restart = async () => {
      await server.stop();
      // Long enough for the cut connections' errors to arrive while nothing reads from them.
      await sleep(500);
      server = await startEmbeddedPostgres({ dir, port });
    };

    // A session lock held across a "Keap call" (no statement in flight) while the server restarts.
    const locked = db.withSessionLock('restart-test', async (sql) => {
      await sql.query('INSERT INTO marks VALUES (1)');
      await restart();
      await sql.query('INSERT INTO marks VALUES (2)');
    });
    await assert.rejects(locked);

    // A transaction whose connection the next restart cuts.
    const tx = db.transaction(async (sql) => {
      await sql.query('INSERT INTO marks VALUES (3)');
      await restart();
      await sql.query('INSERT INTO marks VALUES (4)');
    });
    await assert.rejects(tx);

    // The pools replace the dead connections: the same Database works, and the lock is free again.
    const rows = await db.query<{ n: number }>('SELECT n FROM marks ORDER BY n');
    assert.deepEqual(
      rows.map((r) => r.n),
      [1],
    );
    assert.equal(await db.withSessionLock('restart-test', () => Promise.resolve('free')), 'free');
  });
});
