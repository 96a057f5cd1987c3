/**
 * Accounts and checkouts in PostgreSQL, shared by every process: two stores on two connection pools
 * stand for two processes (an API and a worker, or two of either) on one database.
 */
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from '../accounts/account';
import { PostgresAccountStore } from '../accounts/postgres-store';
import type { CheckoutDefinition, CheckoutSyncRecord, StoredCheckout } from '../checkouts/checkout';
import { checkoutStatus } from '../checkouts/checkout';
import { PostgresCheckoutStore } from '../checkouts/postgres-store';
import { Database } from '../platform/database';
import { importDataFiles } from '../platform/open-database';
import { testDatabaseUrl } from './support/database';

const account = (accountId: string, overrides: Partial<Account> = {}): Account => ({
  accountId,
  keap: {
    type: 'oauth',
    accessToken: 'at-0',
    refreshToken: 'rt-0',
    expiresAt: '2030-01-01T00:00:00.000Z',
    generation: 0,
  },
  connection: { status: 'connected', since: '2026-01-01T00:00:00.000Z' },
  salesSyncEnabled: true,
  paymentMethodType: 'Stripe',
  gracePeriodDays: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

const definition = (amount: number): CheckoutDefinition => ({
  name: 'The Course',
  currency: 'USD',
  pricing: { type: 'one_time', amount },
  active: true,
});

const publishInput = (amount: number) => ({
  definition: definition(amount),
  sku: 'SKU-1',
  skuDerived: false,
  publishedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, amount)).toISOString(),
});

/** Two processes on one fresh database: each with its own connection pool. */
async function twoProcesses(): Promise<[Database, Database]> {
  const url = await testDatabaseUrl();
  return [await Database.connect(url), await Database.connect(url)];
}

describe('PostgreSQL stores', function () {
  this.timeout(60_000);
  let dbs: Database[] = [];
  afterEach(async () => {
    await Promise.all(dbs.map((db) => db.close()));
    dbs = [];
  });
  const processes = async () => {
    const pair = await twoProcesses();
    dbs.push(...pair);
    return pair;
  };

  describe('PostgresAccountStore', () => {
    it('loses no update when two processes update one account at once', async () => {
      const [a, b] = await processes();
      const stores = [new PostgresAccountStore(a), new PostgresAccountStore(b)];
      await stores[0]!.put(account('acct'));
      // Each update reads the account, changes it and writes it back, as a token refresh does.
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          stores[i % 2]!.update('acct', (current) => ({
            ...current,
            gracePeriodDays: current.gracePeriodDays + 1,
            keap:
              current.keap?.type === 'oauth'
                ? { ...current.keap, refreshToken: `rt-${i}`, generation: current.keap.generation + 1 }
                : current.keap,
          })),
        ),
      );
      const final = await stores[1]!.get('acct');
      assert.equal(final?.gracePeriodDays, 20);
      assert.equal(final?.keap?.type === 'oauth' && final.keap.generation, 20);
      assert.deepEqual(
        results.map((r) => r?.gracePeriodDays).sort((x, y) => (x ?? 0) - (y ?? 0)),
        Array.from({ length: 20 }, (_, i) => i + 1),
        'each update saw the one before it',
      );
    });

    it('keeps the account as written, key order included, and updates nothing that does not exist', async () => {
      const [a] = await processes();
      const store = new PostgresAccountStore(a);
      const written = account('ordered', { pastDueTag: 'Past due', keapBaseUrl: 'https://keap.example/crm' });
      await store.put(written);
      assert.equal(JSON.stringify(await store.get('ordered')), JSON.stringify(written));
      assert.equal(await store.get('nobody'), undefined);
      assert.equal(await store.update('nobody', (x) => x), undefined);
      await assert.rejects(
        store.update('ordered', (x) => ({ ...x, accountId: 'other' })),
        /cannot change/,
      );
      assert.equal((await store.get('ordered'))?.accountId, 'ordered');
    });
  });

  describe('PostgresCheckoutStore', () => {
    it('gives two processes publishing one checkout at once distinct, consecutive versions', async () => {
      const [a, b] = await processes();
      const stores = [new PostgresCheckoutStore(a), new PostgresCheckoutStore(b)];
      const published = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stores[i % 2]!.publish('acct', 'chk', publishInput(i))),
      );
      assert.deepEqual(
        published.map((p) => p.version).sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      const latest = await stores[0]!.get('acct', 'chk');
      const last = published.find((p) => p.version === 20)!;
      assert.deepEqual(latest, last);
      assert.equal(latest?.firstPublishedAt, published.find((p) => p.version === 1)?.publishedAt);
    });

    it('lists ids in code-unit order and keeps the sync record apart: Pending until the latest version is synced', async () => {
      const [a, b] = await processes();
      const api = new PostgresCheckoutStore(a);
      const worker = new PostgresCheckoutStore(b);
      for (const id of ['b', 'é', 'B', 'a', 'Z', 'a-1']) await api.publish('acct', id, publishInput(1));
      assert.deepEqual(await worker.listIds('acct'), ['B', 'Z', 'a', 'a-1', 'b', 'é']);
      assert.deepEqual(await worker.listIds('nobody'), []);
      assert.equal(await worker.get('acct', 'nope'), undefined);

      const v1 = (await api.get('acct', 'a'))!;
      assert.equal(checkoutStatus(v1, await api.getSync('acct', 'a')), 'Pending');
      await worker.putSync('acct', 'a', { version: 1, outcome: 'Synced', syncedVersion: 1, at: 'now' });
      assert.equal(checkoutStatus(v1, await api.getSync('acct', 'a')), 'Synced');
      const v2 = await api.publish('acct', 'a', publishInput(2));
      assert.equal(checkoutStatus(v2, await api.getSync('acct', 'a')), 'Pending');
      await worker.putSync('acct', 'a', {
        version: 2,
        outcome: 'NotSynced',
        syncedVersion: 1,
        reason: 'r',
        at: 'later',
      });
      assert.deepEqual(await api.getSync('acct', 'a'), {
        version: 2,
        outcome: 'NotSynced',
        syncedVersion: 1,
        reason: 'r',
        at: 'later',
      });
    });
  });

  describe('the one-time import of the file stores', () => {
    let dataDir: string;
    beforeEach(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'sales-sync-import-'));
    });
    afterEach(() => rm(dataDir, { recursive: true, force: true }));

    const accounts = [account('alpha', { pastDueTag: 'Past due' }), account('beta', { salesSyncEnabled: false })];
    const stored = (checkoutId: string, version: number): StoredCheckout => ({
      accountId: 'alpha',
      checkoutId,
      version,
      sku: `SKU-${checkoutId}`,
      skuDerived: true,
      definition: definition(100 * version),
      publishedAt: `2026-02-0${version}T00:00:00.000Z`,
      firstPublishedAt: '2026-02-01T00:00:00.000Z',
    });
    const sync: CheckoutSyncRecord = {
      version: 3,
      outcome: 'Synced',
      syncedVersion: 3,
      keapProductId: '42',
      keapPrice: 300,
      at: '2026-02-03T00:00:01.000Z',
    };

    /** What FileAccountStore and FileCheckoutStore wrote. */
    async function writeFiles(): Promise<void> {
      await writeFile(
        join(dataDir, 'accounts.json'),
        JSON.stringify({ version: 1, accounts: Object.fromEntries(accounts.map((x) => [x.accountId, x])) }),
      );
      const course = join(dataDir, 'checkouts', 'alpha', 'course');
      await mkdir(course, { recursive: true });
      // A publish that crashed before pruning left version 2 behind; version 3 is the latest.
      await writeFile(join(course, 'v0000000002.json'), JSON.stringify(stored('course', 2)));
      await writeFile(join(course, 'v0000000003.json'), JSON.stringify(stored('course', 3)));
      await writeFile(join(course, 'sync.json'), JSON.stringify(sync));
      const ebook = join(dataDir, 'checkouts', 'alpha', 'ebook');
      await mkdir(ebook, { recursive: true });
      await writeFile(join(ebook, 'v0000000001.json'), JSON.stringify(stored('ebook', 1)));
    }

    const recorder = () => {
      const lines: string[] = [];
      return { lines, info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) };
    };

    it('imports accounts.json and the checkout files into an empty database once, even when two processes start at once', async () => {
      await writeFiles();
      const [a, b] = await processes();
      const logs = [recorder(), recorder()];
      const imported = await Promise.all([
        importDataFiles(a, dataDir, logs[0]!),
        importDataFiles(b, dataDir, logs[1]!),
      ]);
      // Each source is imported by one of the two, once.
      assert.equal(imported.flatMap((r) => Object.keys(r)).length, 2);
      assert.deepEqual(Object.assign({}, ...imported), { 'accounts.json': 2, 'checkouts/': 2 });
      const lines = logs.flatMap((l) => l.lines);
      assert.equal(lines.length, 2, lines.join('\n'));
      assert.match(lines.join('\n'), /imported .*accounts\.json into PostgreSQL: 2 accounts/);
      assert.match(lines.join('\n'), /imported .*checkouts\/? into PostgreSQL: 2 checkouts/);

      const accountStore = new PostgresAccountStore(a);
      for (const x of accounts) assert.equal(JSON.stringify(await accountStore.get(x.accountId)), JSON.stringify(x));
      const checkouts = new PostgresCheckoutStore(b);
      assert.deepEqual(await checkouts.listIds('alpha'), ['course', 'ebook']);
      assert.deepEqual(await checkouts.get('alpha', 'course'), stored('course', 3));
      assert.deepEqual(await checkouts.getSync('alpha', 'course'), sync);
      assert.equal(await checkouts.getSync('alpha', 'ebook'), undefined);
      // Versions go on from the imported one.
      assert.equal((await checkouts.publish('alpha', 'course', publishInput(4))).version, 4);

      // A later start reads the files no more, whatever they hold by then.
      await writeFile(
        join(dataDir, 'accounts.json'),
        JSON.stringify({ version: 1, accounts: { gamma: account('gamma') } }),
      );
      const again = recorder();
      assert.deepEqual(await importDataFiles(a, dataDir, again), {});
      assert.deepEqual(again.lines, []);
      assert.equal(await accountStore.get('gamma'), undefined);
    });

    it('imports nothing into tables that already hold data, and says so once', async () => {
      await writeFiles();
      const [a] = await processes();
      await new PostgresAccountStore(a).put(account('already-here'));
      await new PostgresCheckoutStore(a).publish('already-here', 'chk', publishInput(1));
      const log = recorder();
      assert.deepEqual(await importDataFiles(a, dataDir, log), {});
      assert.equal(log.lines.length, 2);
      for (const line of log.lines) assert.match(line, /^warn .* not imported: the database already holds/);
      assert.equal(await new PostgresAccountStore(a).get('alpha'), undefined);
      const later = recorder();
      await importDataFiles(a, dataDir, later);
      assert.deepEqual(later.lines, []);
    });

    it('waits for the files when a process without them starts first', async () => {
      const [a] = await processes();
      assert.deepEqual(await importDataFiles(a, dataDir, recorder()), {});
      await writeFiles(); // the data volume of the process that starts next
      assert.deepEqual(await importDataFiles(a, dataDir, recorder()), { 'accounts.json': 2, 'checkouts/': 2 });
    });
  });
});
