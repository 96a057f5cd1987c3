/**
 * How every process (npm start, the standalone worker and API) opens the shared PostgreSQL: connect,
 * bring the schema up to date (platform/database.ts), then the one-time import of what Sales Sync
 * kept in files before PostgreSQL: accounts from
 * `<dataDir>/accounts.json` and checkouts from `<dataDir>/checkouts/<accountId>/<checkoutId>/`
 * (the latest `vNNNNNNNNNN.json` and `sync.json`). Every process runs it at start, after the
 * migrations; under an advisory lock, the first to find a source's file and an empty table imports
 * it and records so in `file_imports`, and no start after that reads the files again. The files are
 * left where they are (a backup); nothing writes them any more.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Account } from '../accounts/account';
import { importAccounts } from '../accounts/postgres-store';
import type { CheckoutSyncRecord, StoredCheckout } from '../checkouts/checkout';
import { importCheckouts } from '../checkouts/postgres-store';
import type { ImportedCheckout } from '../checkouts/postgres-store';
import { Database } from './database';
import type { Sql } from './database';

const IMPORT_LOCK = 'sales-sync:file-import';

interface ImportLog {
  info(message: string): void;
  warn(message: string): void;
}

interface Source<T> {
  /** Its name in file_imports, relative to the data folder. */
  name: string;
  /** The table that must be empty for an import. */
  table: 'accounts' | 'checkouts';
  what: string;
  /** The items in the files; undefined when there are no files. */
  read(dataDir: string): Promise<T[] | undefined>;
  store(sql: Sql, items: T[]): Promise<number>;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw new Error(`cannot import ${file}: ${String(error)}`);
  }
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

const accountsFile: Source<Account> = {
  name: 'accounts.json',
  table: 'accounts',
  what: 'accounts',
  async read(dataDir) {
    const file = await readJson<{ accounts: Record<string, Account> }>(join(dataDir, 'accounts.json'));
    return file && Object.values(file.accounts);
  },
  store: importAccounts,
};

const VERSION_FILE = /^v\d{10}\.json$/;

const checkoutFiles: Source<ImportedCheckout> = {
  name: 'checkouts/',
  table: 'checkouts',
  what: 'checkouts',
  async read(dataDir) {
    const root = join(dataDir, 'checkouts');
    const found: ImportedCheckout[] = [];
    for (const accountId of await subfolders(root)) {
      for (const checkoutId of await subfolders(join(root, accountId))) {
        const dir = join(root, accountId, checkoutId);
        // The file store pruned older versions after each publish; one a crash left behind is older.
        const latest = (await readdir(dir))
          .filter((name) => VERSION_FILE.test(name))
          .sort()
          .at(-1);
        found.push({
          accountId,
          checkoutId,
          latest: latest ? await readJson<StoredCheckout>(join(dir, latest)) : undefined,
          sync: await readJson<CheckoutSyncRecord>(join(dir, 'sync.json')),
        });
      }
    }
    return found.length > 0 ? found : undefined;
  },
  store: importCheckouts,
};

/** Connects to `url`, applies the migrations and imports the data folder's old files (once per database). */
export async function openDatabase(url: string, dataDir: string, log: ImportLog): Promise<Database> {
  const db = await Database.connect(url);
  try {
    await importDataFiles(db, dataDir, log);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** Imports the data folder's files into an empty database, once; returns what it imported, by source. */
export async function importDataFiles(db: Database, dataDir: string, log: ImportLog): Promise<Record<string, number>> {
  const imported: Record<string, number> = {};
  for (const source of [accountsFile, checkoutFiles] as Source<unknown>[]) {
    const count = await db.withLock(IMPORT_LOCK, async (tx) => {
      const done = await tx.query('SELECT 1 FROM file_imports WHERE source = $1', [source.name]);
      if (done.length > 0) return undefined;
      const items = await source.read(dataDir);
      if (!items) return undefined; // nothing to import (yet: a process with the files may start later)
      const file = join(dataDir, source.name);
      const existing = await tx.query(`SELECT 1 FROM ${source.table} LIMIT 1`);
      if (existing.length > 0) {
        log.warn(`${file} not imported: the database already holds ${source.what} (it is not read again)`);
        await tx.query('INSERT INTO file_imports (source, items) VALUES ($1, 0)', [source.name]);
        return undefined;
      }
      const added = await source.store(tx, items);
      await tx.query('INSERT INTO file_imports (source, items) VALUES ($1, $2)', [source.name, added]);
      log.info(`imported ${file} into PostgreSQL: ${added} ${source.what} (the files are not read again)`);
      return added;
    });
    if (count !== undefined) imported[source.name] = count;
  }
  return imported;
}
