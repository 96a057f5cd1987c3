/**
 * Published checkouts and their sync records in PostgreSQL, shared by the API (which publishes) and
 * the workers (which record syncs). A publish is one upsert that adds one to the stored version, so
 * two processes publishing one checkout at once get distinct, consecutive versions and neither
 * overwrites the other's; the sync records live in a table of their own, written by the worker only.
 */
import type { Database, Sql } from '../platform/database';
import type { CheckoutDefinition, CheckoutSyncRecord, StoredCheckout } from './checkout';
import type { CheckoutStore, PublishInput } from './store';

interface CheckoutRow {
  account_id: string;
  checkout_id: string;
  version: number;
  sku: string;
  sku_derived: boolean;
  definition: CheckoutDefinition;
  published_at: string;
  first_published_at: string;
}

const COLUMNS = 'account_id, checkout_id, version, sku, sku_derived, definition, published_at, first_published_at';

function fromRow(row: CheckoutRow): StoredCheckout {
  return {
    accountId: row.account_id,
    checkoutId: row.checkout_id,
    version: row.version,
    sku: row.sku,
    skuDerived: row.sku_derived,
    definition: row.definition,
    publishedAt: row.published_at,
    firstPublishedAt: row.first_published_at,
  };
}

function rowValues(stored: StoredCheckout): unknown[] {
  return [
    stored.accountId,
    stored.checkoutId,
    stored.version,
    stored.sku,
    stored.skuDerived,
    JSON.stringify(stored.definition),
    stored.publishedAt,
    stored.firstPublishedAt,
  ];
}

export class PostgresCheckoutStore implements CheckoutStore {
  constructor(private readonly db: Database) {}

  async publish(accountId: string, checkoutId: string, input: PublishInput): Promise<StoredCheckout> {
    // The first publish inserts version 1; any later one (or a racing first one) finds the row,
    // locked for it, and stores the next version. firstPublishedAt stays the first's.
    const rows = await this.db.query<CheckoutRow>(
      `INSERT INTO checkouts AS c (${COLUMNS}) VALUES ($1, $2, 1, $3, $4, $5::json, $6, $6)
       ON CONFLICT (account_id, checkout_id) DO UPDATE SET
         version = c.version + 1, sku = EXCLUDED.sku, sku_derived = EXCLUDED.sku_derived,
         definition = EXCLUDED.definition, published_at = EXCLUDED.published_at
       RETURNING ${COLUMNS}`,
      [accountId, checkoutId, input.sku, input.skuDerived, JSON.stringify(input.definition), input.publishedAt],
    );
    return fromRow(rows[0]!);
  }

  async get(accountId: string, checkoutId: string): Promise<StoredCheckout | undefined> {
    const rows = await this.db.query<CheckoutRow>(
      `SELECT ${COLUMNS} FROM checkouts WHERE account_id = $1 AND checkout_id = $2`,
      [accountId, checkoutId],
    );
    return rows[0] && fromRow(rows[0]);
  }

  async listIds(accountId: string): Promise<string[]> {
    // The columns are COLLATE "C": code-unit order, whatever the server's locale.
    const rows = await this.db.query<{ checkout_id: string }>(
      'SELECT checkout_id FROM checkouts WHERE account_id = $1 ORDER BY checkout_id',
      [accountId],
    );
    return rows.map((row) => row.checkout_id);
  }

  async getSync(accountId: string, checkoutId: string): Promise<CheckoutSyncRecord | undefined> {
    const rows = await this.db.query<{ record: CheckoutSyncRecord }>(
      'SELECT record FROM checkout_syncs WHERE account_id = $1 AND checkout_id = $2',
      [accountId, checkoutId],
    );
    return rows[0]?.record;
  }

  async putSync(accountId: string, checkoutId: string, record: CheckoutSyncRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO checkout_syncs (account_id, checkout_id, record) VALUES ($1, $2, $3::json)
       ON CONFLICT (account_id, checkout_id) DO UPDATE SET record = EXCLUDED.record`,
      [accountId, checkoutId, JSON.stringify(record)],
    );
  }
}

/** A checkout as the file store kept it: its latest version and its latest sync record, either may be absent. */
export interface ImportedCheckout {
  accountId: string;
  checkoutId: string;
  latest?: StoredCheckout;
  sync?: CheckoutSyncRecord;
}

/** Adds checkouts and sync records that are not stored yet (the one-time import of checkout files); returns how many checkouts. */
export async function importCheckouts(sql: Sql, checkouts: ImportedCheckout[]): Promise<number> {
  let added = 0;
  for (const { accountId, checkoutId, latest, sync } of checkouts) {
    if (latest) {
      const rows = await sql.query(
        `INSERT INTO checkouts (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6::json, $7, $8)
         ON CONFLICT (account_id, checkout_id) DO NOTHING RETURNING checkout_id`,
        rowValues({ ...latest, accountId, checkoutId }),
      );
      added += rows.length;
    }
    if (sync) {
      await sql.query(
        `INSERT INTO checkout_syncs (account_id, checkout_id, record) VALUES ($1, $2, $3::json)
         ON CONFLICT (account_id, checkout_id) DO NOTHING`,
        [accountId, checkoutId, JSON.stringify(sync)],
      );
    }
  }
  return added;
}
