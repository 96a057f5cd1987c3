/**
 * How activities reach an account's Keap: the account is looked up by id at call time (secrets never
 * enter workflow history), and every failure leaves through the one Keap error mapping.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Account, AccountStore } from '../accounts/account';
import { KeapClient } from '../keap/client';
import type { KeapCallRecord } from '../keap/client';
import { toActivityFailure } from '../keap/errors';

export interface KeapAccessDeps {
  accounts: AccountStore;
  /** Base URL for accounts that do not set their own. */
  defaultKeapBaseUrl: string;
  keapTimeoutMs: number;
  onKeapCall?: (record: KeapCallRecord & { accountId: string }) => void;
}

export interface KeapSession {
  account: Account;
  keap: KeapClient;
  /** Identifies the Keap app behind an account, for caches that must not leak across apps. */
  appKey: string;
}

export class KeapAccess {
  constructor(private readonly deps: KeapAccessDeps) {}

  private async session(accountId: string): Promise<KeapSession> {
    const account = await this.deps.accounts.get(accountId);
    if (!account) {
      throw ApplicationFailure.create({
        message: `Account ${accountId} does not exist`,
        type: 'AccountNotFound',
        nonRetryable: true,
      });
    }
    const baseUrl = account.keapBaseUrl ?? this.deps.defaultKeapBaseUrl;
    const onKeapCall = this.deps.onKeapCall;
    const keap = new KeapClient(
      { baseUrl, auth: { type: 'apiKey', apiKey: account.keap.apiKey } },
      {
        timeoutMs: this.deps.keapTimeoutMs,
        signal: Context.current().cancellationSignal,
        onCall: onKeapCall ? (record) => onKeapCall({ ...record, accountId }) : undefined,
      },
    );
    return { account, keap, appKey: `${accountId}@${baseUrl}` };
  }

  /** Runs `work` with the account's Keap client; any failure becomes the right Temporal failure. */
  async run<T>(accountId: string, work: (session: KeapSession) => Promise<T>): Promise<T> {
    try {
      return await work(await this.session(accountId));
    } catch (error) {
      throw toActivityFailure(error);
    }
  }
}

/** True when an earlier attempt of this activity may already have written to Keap. */
export function mayHaveWrittenBefore(): boolean {
  return Context.current().info.attempt > 1;
}
