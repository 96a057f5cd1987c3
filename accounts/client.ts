/**
 * The door to the account workflow, used by the API (connect, disconnect) and activities (refresh).
 * Workflow types come from the definitions module, never the workflow file.
 */
import type { Client } from '@temporalio/client';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { AccountWorkflow, AccountWorkflowArgs, ConnectionState, RefreshOutcome } from './workflow/definitions';
import {
  accountWorkflowId,
  connectionChangedSignal,
  connectionQuery,
  refreshTokensUpdate,
} from './workflow/definitions';
import { SA_ACCOUNT_ID, SA_STATUS } from '../workflows/support/search-attributes';

export class AccountClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly workflowOptions: Pick<AccountWorkflowArgs, 'continueAsNewAfterEvents'> = {},
  ) {}

  private start(accountId: string) {
    return {
      workflowId: accountWorkflowId(accountId),
      taskQueue: this.taskQueue,
      args: [{ accountId, ...this.workflowOptions }] as [AccountWorkflowArgs],
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      typedSearchAttributes: [
        { key: SA_ACCOUNT_ID, value: accountId },
        { key: SA_STATUS, value: 'Connected' },
      ],
      staticSummary: `Keap connection of account ${accountId}`,
    };
  }

  /** Serialised refresh through the account workflow (started if it is not running). */
  requestRefresh(accountId: string, usedGeneration: number): Promise<RefreshOutcome> {
    return this.client.workflow.executeUpdateWithStart(refreshTokensUpdate, {
      args: [{ usedGeneration }],
      startWorkflowOperation: new WithStartWorkflowOperation<AccountWorkflow>('accountWorkflow', this.start(accountId)),
    });
  }

  /** Tells the account workflow the stored credentials changed (connect, reconnect, disconnect). */
  async connectionChanged(
    accountId: string,
    state: Omit<ConnectionState, 'refreshes' | 'lastRefreshAt'>,
  ): Promise<void> {
    const { workflowIdConflictPolicy: _policy, ...start } = this.start(accountId);
    await this.client.workflow.signalWithStart<AccountWorkflow, [typeof state]>('accountWorkflow', {
      ...start,
      signal: connectionChangedSignal,
      signalArgs: [state],
    });
  }

  connection(accountId: string): Promise<ConnectionState> {
    return this.client.workflow.getHandle(accountWorkflowId(accountId)).query(connectionQuery);
  }
}
