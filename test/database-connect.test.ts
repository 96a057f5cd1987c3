/**
 * A process that starts while PostgreSQL is restarting (a worker respawned during a database restart)
 * waits for it instead of exiting; one that cannot reach it at all still fails, after its wait.
 */
import { strict as assert } from 'node:assert';
import { createServer, connect as tcpConnect } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { Database } from '../platform/database';
import { testDatabaseUrl } from './support/database';

/** A TCP relay to `target` that starts listening on `port` only after `delayMs`. */
function relayLater(port: number, target: URL, delayMs: number): Promise<Server> {
  const relay = createServer((socket) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', close);
    upstream.on('error', close);
  });
  return new Promise((resolve) => setTimeout(() => relay.listen(port, '127.0.0.1', () => resolve(relay)), delayMs));
}

async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('connecting to PostgreSQL', function () {
  this.timeout(30_000);

  it('waits for a server that comes up after the process started', async () => {
    const target = new URL(await testDatabaseUrl());
    const port = await unusedPort();
    const relay = relayLater(port, target, 1_500);
    const url = new URL(target);
    url.port = String(port);
    const started = Date.now();
    const db = await Database.connect(url.toString(), { migrate: false, waitMs: 10_000 });
    try {
      assert.ok(Date.now() - started >= 1_000, 'it waited for the server');
      assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
    } finally {
      await db.close();
      (await relay).close();
    }
  });

  it('fails once its wait is over when nothing answers', async () => {
    const url = new URL(await testDatabaseUrl());
    url.port = String(await unusedPort());
    const started = Date.now();
    await assert.rejects(Database.connect(url.toString(), { migrate: false, waitMs: 1_000 }), { code: 'ECONNREFUSED' });
    assert.ok(Date.now() - started >= 700, 'after its wait');
  });
});
