/**
 * Builds the activities' dependencies, the same way for npm start, the standalone worker and tests:
 * accounts and checkouts live in the shared PostgreSQL `db`.
 */
import type { Client } from '@temporalio/client';
import { AccountClient } from '../accounts/client';
import { KeapConnections } from '../accounts/connections';
import { PostgresAccountStore } from '../accounts/postgres-store';
import type { ActivityDeps } from '../activities';
import { PostgresCheckoutStore } from '../checkouts/postgres-store';
import type { KeapCallRecord } from '../keap/client';
import { KeapOAuthClient } from '../keap/oauth';
import type { OAuthClientConfig } from '../keap/oauth';
import type { Database } from '../platform/database';

export function buildActivityDeps(options: {
  db: Database;
  client: Client;
  taskQueue: string;
  oauth?: OAuthClientConfig;
  defaultKeapBaseUrl: string;
  keapTimeoutMs: number;
  onKeapCall?: (record: KeapCallRecord & { accountId: string }) => void;
}): ActivityDeps {
  const accounts = new PostgresAccountStore(options.db);
  const connections = new KeapConnections(
    accounts,
    options.oauth ? new KeapOAuthClient(options.oauth, { timeoutMs: options.keapTimeoutMs }) : undefined,
  );
  const accountWorkflows = new AccountClient(options.client, options.taskQueue);
  return {
    db: options.db,
    accounts,
    checkouts: new PostgresCheckoutStore(options.db),
    connections,
    requestRefresh: (accountId, usedGeneration) => accountWorkflows.requestRefresh(accountId, usedGeneration),
    defaultKeapBaseUrl: options.defaultKeapBaseUrl,
    keapTimeoutMs: options.keapTimeoutMs,
    onKeapCall: options.onKeapCall,
  };
}
