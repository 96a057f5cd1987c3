/**
 * The one PostgreSQL connection pool of a process, and the schema's migrations. What must be shared
 * by every API and worker process, and outlive Temporal's history, lives here: accounts, checkouts,
 * the ledger of Keap writes, and the locks and rate limits that coordinate processes. Nothing that
 * decides correctness lives in one process's memory.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';

export const MIGRATIONS_DIR = join(__dirname, '..', 'migrations');

/** What a query runs on: the pool, or one transaction's connection. */
export interface Sql {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
}

/** A 64-bit advisory-lock key for a name (PostgreSQL's advisory locks take bigints). */
export function lockKey(name: string): bigint {
  return createHash('sha256').update(name).digest().readBigInt64BE(0);
}

const MIGRATION_LOCK = 'sales-sync:migrations';

export class Database implements Sql {
  /** Connections that hold an advisory lock across a Keap call; apart, so short queries never wait on them. */
  private lockPool?: pg.Pool;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  /**
   * Connects (and, unless told not to, brings the schema up to date). A server that is restarting or
   * not up yet is waited for, up to `waitMs`: a process started meanwhile (a worker respawned during
   * a database restart) comes up when the database does instead of exiting.
   */
  static async connect(
    url: string,
    { migrate = true, max = 10, waitMs = 60_000 }: { migrate?: boolean; max?: number; waitMs?: number } = {},
  ) {
    const pool = hearErrors(new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 10_000 }));
    const db = new Database(pool, url);
    const deadline = Date.now() + waitMs;
    for (let backoff = 250; ; backoff = Math.min(backoff * 2, 2_000)) {
      try {
        await (migrate ? db.migrate() : db.query('SELECT 1'));
        return db;
      } catch (error) {
        if (!unreachable(error) || Date.now() + backoff > deadline) {
          await pool.end().catch(() => undefined);
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  async query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
    const result = await this.pool.query<R>(text, values);
    return result.rows;
  }

  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(txSql(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Runs `work` while holding the advisory lock `name`, across every process on this database (a
   * transaction-scoped lock: a crashed holder's lock is released with its connection).
   */
  async withLock<T>(name: string, work: (tx: Sql) => Promise<T>): Promise<T> {
    return this.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(name).toString()]);
      return work(tx);
    });
  }

  /** Applies every migration in migrations/ not applied yet, in name order, each in its own transaction. */
  async migrate(dir: string = MIGRATIONS_DIR): Promise<string[]> {
    const files = (await readdir(dir)).filter((f) => /^\d+_[\w-]+\.sql$/.test(f)).sort();
    const applied: string[] = [];
    // One process migrates at a time; the others wait, then find nothing left to do.
    await this.withLock(MIGRATION_LOCK, async (tx) => {
      await tx.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set(
        (await tx.query<{ version: string }>('SELECT version FROM schema_migrations')).map((r) => r.version),
      );
      for (const file of files) {
        if (done.has(file)) continue;
        await tx.query(await readFile(join(dir, file), 'utf8'));
        await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
        applied.push(file);
      }
    });
    return applied;
  }

  /**
   * Runs `work` holding the session-level advisory lock `name` on a connection of its own, across
   * every process on this database. Unlike `withLock`, each statement `work` runs commits at once, so
   * what it records before a Keap call survives a crash during it; a crashed holder's lock goes with
   * its connection. A lock not granted within a minute fails (retryably) rather than wait forever.
   */
  async withSessionLock<T>(name: string, work: (sql: Sql) => Promise<T>): Promise<T> {
    this.lockPool ??= this.newLockPool();
    const client = await this.lockPool.connect();
    const key = lockKey(name).toString();
    let broken = false;
    try {
      try {
        await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
      } catch (error) {
        broken = true;
        throw error;
      }
      try {
        return await work(txSql(client));
      } finally {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {
          broken = true;
        });
      }
    } finally {
      // A connection whose state is in doubt is closed, which releases any lock it still holds.
      client.release(broken);
    }
  }

  private newLockPool(): pg.Pool {
    const pool = hearErrors(new pg.Pool({ connectionString: this.url, max: 30, idleTimeoutMillis: 10_000 }));
    pool.on('connect', (client) => {
      client.query("SET lock_timeout = '60s'").catch(() => undefined);
    });
    return pool;
  }

  async close(): Promise<void> {
    await this.lockPool?.end();
    await this.pool.end();
  }
}

/**
 * A server restart ends every connection: an idle one reports on the pool, which replaces it; a
 * checked-out one (a session lock held across a Keap call, an open transaction) reports on itself,
 * where an unheard 'error' event would end the process. Heard, its next statement fails (retryably)
 * and the connection is discarded on release.
 */
function hearErrors(pool: pg.Pool): pg.Pool {
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

function txSql(client: PoolClient): Sql {
  return {
    async query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
      return (await client.query<R>(text, values)).rows;
    },
  };
}

/** Connection refused or reset, or a server starting up or shutting down: it heals by waiting. */
function unreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P03', '08001', '08006'].includes(code)
  );
}
