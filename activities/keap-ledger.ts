/**
 * The ledger of Keap writes (table keap_records): what Sales Sync created in each Keap app, keyed
 * exactly as we key it (an order by its order key, a payment by order and payment id, a contact by
 * email, a product by SKU, the order-key custom field by its label). Keap has no idempotency keys,
 * so this is what makes a write exactly once whatever runs it: a second worker process, a retry on
 * another host, or a new workflow months after the first one's history is gone.
 *
 * Each write runs under an advisory lock on its key, shared by every process on the database, and
 * follows one protocol: no record means no earlier try anywhere, so write at once; `written` means
 * use Keap's id without asking Keap; `pending` means an earlier try may have committed in Keap and
 * lost its answer, so look in Keap before writing. The record turns `pending` (committed) before the
 * Keap call, so even a process killed during the call leaves that trace.
 */
import { Context } from '@temporalio/activity';
import type { Database, Sql } from '../platform/database';

/**
 * `app-currency` is no write but what every process must agree on before writing an order: the
 * currency the Keap app keeps its books in (its ISO code as the record's Keap id), as Keap's answers
 * say (orders/activities/app-currency.ts).
 */
export type KeapRecordKind = 'order' | 'payment' | 'contact' | 'product' | 'order-key-field' | 'app-currency';

export interface KeapRecord {
  state: 'pending' | 'written';
  keapId?: string;
  detail?: Record<string, unknown>;
  /** Tries that reached this key, this one included. */
  attempts: number;
  /** When the record was last written or confirmed (epoch ms), for records that may go stale in Keap. */
  checkedAt: number;
}

/** One key's record, held under its lock for the duration of `KeapLedger.exclusive`'s work. */
export interface KeapRecordHandle {
  /** What earlier tries left, or undefined on the first try anywhere. */
  readonly prior: KeapRecord | undefined;
  /** Call right before the Keap write: a crash during it leaves a trace for the next try. */
  pending(): Promise<void>;
  /** Call once Keap's id is known (written now, or found in Keap). */
  written(keapId: string, detail?: Record<string, unknown>): Promise<void>;
}

interface Row {
  state: 'pending' | 'written';
  keap_id: string | null;
  detail: Record<string, unknown> | null;
  attempts: number;
  updated_ms: number;
}

export class KeapLedger {
  constructor(private readonly db: Database) {}

  /**
   * Runs `work` alone for this key across every process: two orders of one customer, or two tries of
   * one write on two hosts, take turns, and the second sees what the first recorded.
   */
  exclusive<T>(
    appKey: string,
    kind: KeapRecordKind,
    key: string,
    work: (record: KeapRecordHandle) => Promise<T>,
  ): Promise<T> {
    return this.db.withSessionLock(`keap-record\n${appKey}\n${kind}\n${key}`, async (sql) => {
      const prior = await read(sql, appKey, kind, key);
      let counted = false;
      const handle: KeapRecordHandle = {
        prior,
        pending: async () => {
          if (counted) return;
          counted = true;
          await sql.query(
            `INSERT INTO keap_records (app_key, kind, record_key, state)
             VALUES ($1, $2, $3, 'pending')
             ON CONFLICT (app_key, kind, record_key)
             DO UPDATE SET attempts = keap_records.attempts + 1, updated_at = now()`,
            [appKey, kind, key],
          );
        },
        written: async (keapId, detail) => {
          await sql.query(
            `INSERT INTO keap_records (app_key, kind, record_key, state, keap_id, detail)
             VALUES ($1, $2, $3, 'written', $4, $5)
             ON CONFLICT (app_key, kind, record_key)
             DO UPDATE SET state = 'written', keap_id = $4, detail = $5, updated_at = now()`,
            [appKey, kind, key, keapId, detail === undefined ? null : JSON.stringify(detail)],
          );
        },
      };
      return work(handle);
    });
  }

  /** The record as it stands, without waiting for its lock (for ids shared by many writes). */
  get(appKey: string, kind: KeapRecordKind, key: string): Promise<KeapRecord | undefined> {
    return read(this.db, appKey, kind, key);
  }

  /** Forgets a record Keap no longer has (a merchant deleted it), so the next try looks afresh. */
  async forget(appKey: string, kind: KeapRecordKind, key: string): Promise<void> {
    await this.db.query('DELETE FROM keap_records WHERE app_key = $1 AND kind = $2 AND record_key = $3', [
      appKey,
      kind,
      key,
    ]);
  }
}

async function read(sql: Sql, appKey: string, kind: KeapRecordKind, key: string): Promise<KeapRecord | undefined> {
  const [row] = await sql.query<Row>(
    'SELECT state, keap_id, detail, attempts, (extract(epoch FROM updated_at) * 1000)::float8 AS updated_ms FROM keap_records WHERE app_key = $1 AND kind = $2 AND record_key = $3',
    [appKey, kind, key],
  );
  if (!row) return undefined;
  return {
    state: row.state,
    keapId: row.keap_id ?? undefined,
    detail: row.detail ?? undefined,
    attempts: row.attempts,
    checkedAt: row.updated_ms,
  };
}

/**
 * The migration that brought the ledger of Keap writes. Since it was applied, every Keap write is
 * recorded pending before it is sent, so for activities first scheduled after it the ledger alone
 * says whether an earlier attempt may have written (workers are upgraded to it with old workers
 * stopped first: an old worker would write without recording).
 */
const LEDGER_MIGRATION = '0002_keap_ledger_and_rate_limits.sql';

/**
 * When the ledger came into use on this database, per process. An activity first scheduled before
 * it may have had attempts that wrote without the ledger's record; those still look in Keap first.
 */
export class LedgerEra {
  private since?: Promise<number>;

  constructor(private readonly db: Database) {}

  private start(): Promise<number> {
    this.since ??= this.db
      .query<{ ms: number }>(
        'SELECT (extract(epoch FROM applied_at) * 1000)::float8 AS ms FROM schema_migrations WHERE version = $1',
        [LEDGER_MIGRATION],
      )
      .then(([row]) => row?.ms ?? Number.POSITIVE_INFINITY);
    return this.since;
  }

  /** True when an earlier attempt of this activity may have written to Keap without the ledger knowing. */
  async mayHaveWrittenUnrecorded(): Promise<boolean> {
    const { attempt, scheduledTimestampMs } = Context.current().info;
    if (attempt <= 1) return false;
    return scheduledTimestampMs < (await this.start());
  }
}
