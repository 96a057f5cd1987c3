/** The account workflow's messages, shared with the API and activities. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ConnectionStatus } from '../account';

/** What the workflow knows of the connection: never a token, only when the current one expires. */
export interface ConnectionState {
  status: ConnectionStatus;
  authType?: 'apiKey' | 'oauth';
  generation?: number;
  expiresAt?: string;
  issuedAt?: string;
  reason?: string;
  refreshes: number;
  lastRefreshAt?: string;
}

/** What a refresh did (the `refreshTokens` update's and the `refreshKeapTokens` activity's result). */
export type RefreshOutcome =
  | { status: 'connected'; generation: number; expiresAt: string; refreshed: boolean }
  | { status: Exclude<ConnectionStatus, 'connected'>; reason?: string };

export interface AccountWorkflowArgs {
  accountId: string;
  carried?: ConnectionState;
  continueAsNewAfterEvents?: number;
}

/** Refresh if the caller's generation is still current; otherwise answer with the newer one. */
export const refreshTokensUpdate = defineUpdate<RefreshOutcome, [{ usedGeneration: number }]>('refreshTokens');
/** The API stored new credentials (connect, reconnect) or dropped them (disconnect). */
export const connectionChangedSignal =
  defineSignal<[Omit<ConnectionState, 'refreshes' | 'lastRefreshAt'>]>('connectionChanged');
export const connectionQuery = defineQuery<ConnectionState>('connection');

/** accountWorkflow's signature, for its client without importing the workflow (test/architecture.test.ts checks it). */
export type AccountWorkflow = (args: AccountWorkflowArgs) => Promise<void>;

/** One workflow per account: it serialises the account's token refreshes. */
export function accountWorkflowId(accountId: string): string {
  return `account:${accountId}`;
}
