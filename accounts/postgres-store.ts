/**
 * Accounts in PostgreSQL, shared by every API and worker process. Secrets stay here and never travel
 * through Temporal: activities look accounts up by id. An update is a read-modify-write of one row
 * under SELECT … FOR UPDATE in one transaction, so two processes changing one account (say, one
 * storing a rotated OAuth refresh token while another records a reconnect) never lose either change.
 */
import type { Database, Sql } from '../platform/database';
import type { Account, AccountStore } from './account';

export class PostgresAccountStore implements AccountStore {
  constructor(private readonly db: Database) {}

  async get(accountId: string): Promise<Account | undefined> {
    const rows = await this.db.query<{ account: Account }>('SELECT account FROM accounts WHERE account_id = $1', [
      accountId,
    ]);
    return rows[0]?.account;
  }

  async put(account: Account): Promise<void> {
    await this.db.query(
      `INSERT INTO accounts (account_id, account) VALUES ($1, $2::json)
       ON CONFLICT (account_id) DO UPDATE SET account = EXCLUDED.account, updated_at = now()`,
      [account.accountId, JSON.stringify(account)],
    );
  }

  update(accountId: string, change: (account: Account) => Account): Promise<Account | undefined> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ account: Account }>(
        'SELECT account FROM accounts WHERE account_id = $1 FOR UPDATE',
        [accountId],
      );
      const current = rows[0]?.account;
      if (!current) return undefined;
      const next = change(current);
      if (next.accountId !== accountId) throw new Error(`an update cannot change account ${accountId}'s id`);
      await tx.query('UPDATE accounts SET account = $2::json, updated_at = now() WHERE account_id = $1', [
        accountId,
        JSON.stringify(next),
      ]);
      return next;
    });
  }
}

/** Adds accounts that are not stored yet (the one-time import of accounts.json); returns how many. */
export async function importAccounts(sql: Sql, accounts: Account[]): Promise<number> {
  let added = 0;
  for (const account of accounts) {
    const rows = await sql.query(
      `INSERT INTO accounts (account_id, account) VALUES ($1, $2::json)
       ON CONFLICT (account_id) DO NOTHING RETURNING account_id`,
      [account.accountId, JSON.stringify(account)],
    );
    added += rows.length;
  }
  return added;
}
