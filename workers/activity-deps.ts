/** Builds the activities' dependencies, the same way for npm start, the standalone worker and tests. */
import type { Client } from '@temporalio/client';
import type { AccountStore } from '../accounts/account';
import { AccountClient } from '../accounts/client';
import { KeapConnections } from '../accounts/connections';
import type { ActivityDeps } from '../activities';
import type { KeapCallRecord } from '../keap/client';
import { KeapOAuthClient } from '../keap/oauth';
import type { OAuthClientConfig } from '../keap/oauth';

export function buildActivityDeps(options: {
  accounts: AccountStore;
  client: Client;
  taskQueue: string;
  oauth?: OAuthClientConfig;
  defaultKeapBaseUrl: string;
  keapTimeoutMs: number;
  onKeapCall?: (record: KeapCallRecord & { accountId: string }) => void;
}): ActivityDeps {
  const connections = new KeapConnections(
    options.accounts,
    options.oauth ? new KeapOAuthClient(options.oauth, { timeoutMs: options.keapTimeoutMs }) : undefined,
  );
  const accountWorkflows = new AccountClient(options.client, options.taskQueue);
  return {
    accounts: options.accounts,
    connections,
    requestRefresh: (accountId, usedGeneration) => accountWorkflows.requestRefresh(accountId, usedGeneration),
    defaultKeapBaseUrl: options.defaultKeapBaseUrl,
    keapTimeoutMs: options.keapTimeoutMs,
    onKeapCall: options.onKeapCall,
  };
}
