import type { AccountStore } from '../account';
import type { KeapConnections } from '../connections';
import { toActivityFailure } from '../../activities/keap-failures';
import type { ConnectionState, RefreshOutcome } from '../workflow/definitions';

export function connectionActivities(accounts: AccountStore, connections: KeapConnections) {
  return {
    /** Runs only inside the account workflow, which serialises refreshes per account. */
    async refreshKeapTokens(input: { accountId: string; usedGeneration: number }): Promise<RefreshOutcome> {
      try {
        return await connections.refresh(input.accountId, input.usedGeneration);
      } catch (error) {
        throw toActivityFailure(error);
      }
    },

    /** The connection as the account workflow may know it: status, generation and expiry; never a token. */
    async describeKeapConnection(accountId: string): Promise<ConnectionState> {
      const account = await accounts.get(accountId);
      if (!account) return { status: 'disconnected', reason: 'the account does not exist', refreshes: 0 };
      const keap = account.keap;
      return {
        status: account.connection.status,
        reason: account.connection.reason,
        authType: keap?.type,
        generation: keap?.type === 'oauth' ? keap.generation : undefined,
        expiresAt: keap?.type === 'oauth' ? keap.expiresAt : undefined,
        refreshes: 0,
      };
    },
  };
}
