/**
 * What happens when a merchant connects, reconnects, disconnects or toggles Sales Sync: the account
 * store changes first (it holds the secrets), then the account workflow is told (it owns refreshes),
 * then orders that waited for a reconnect are woken, and turning Sales Sync on re-syncs checkouts.
 */
import type { Account, AccountStore, KeapCredentials } from '../accounts/account';
import type { AccountClient } from '../accounts/client';
import { connected, credentialsFromTokens } from '../accounts/connections';
import type { KeapConnections } from '../accounts/connections';
import { KeapApiError } from '../keap/errors';
import { InvalidGrantError } from '../keap/errors';
import { HttpError } from './errors';
import type { OrderClient } from '../orders/client';
import type { z } from 'zod';
import type { accountPatchSchema, accountPutSchema, keapCredentialsInputSchema } from './schemas';

export interface AccountServiceDeps {
  accounts: AccountStore;
  connections: KeapConnections;
  accountWorkflows: AccountClient;
  orders: OrderClient;
  /** Redirect URI registered with the Keap OAuth app, for code exchanges that name none. */
  oauthRedirectUri?: string;
  /** Re-syncs the account's published checkouts: when Sales Sync is switched on, and after a reconnect. */
  resyncCheckouts?: (accountId: string) => Promise<unknown>;
}

/** The one 404 for an unknown account, for every route that needs one. */
export function accountNotFound(accountId: string): HttpError {
  return new HttpError(404, 'account_not_found', `Account ${accountId} does not exist`);
}

export async function requireAccount(accounts: AccountStore, accountId: string): Promise<Account> {
  const account = await accounts.get(accountId);
  if (!account) throw accountNotFound(accountId);
  return account;
}

export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  /**
   * The credentials the input names, as a function of the account's current ones (an OAuth token
   * pair's generation follows the current one), so they are applied under the store's row lock:
   * a refresh committed meanwhile is never overwritten with a clashing generation.
   */
  private async credentials(
    input: z.output<typeof keapCredentialsInputSchema>,
  ): Promise<(previous?: KeapCredentials) => KeapCredentials> {
    if ('apiKey' in input) return () => ({ type: 'apiKey', apiKey: input.apiKey });
    const oauth = input.oauth;
    const now = Date.now();
    if ('accessToken' in oauth) return (previous) => credentialsFromTokens(oauth, previous, now);
    if (!this.deps.connections.oauthConfigured) {
      throw new HttpError(
        422,
        'oauth_not_configured',
        'This deployment has no Keap OAuth app (KEAP_CLIENT_ID / KEAP_CLIENT_SECRET)',
      );
    }
    const redirectUri = oauth.redirectUri ?? this.deps.oauthRedirectUri;
    if (!redirectUri) {
      throw new HttpError(
        400,
        'validation_failed',
        'keap.oauth.redirectUri is required (no KEAP_OAUTH_REDIRECT_URI configured)',
        [{ path: 'keap.oauth.redirectUri', message: 'is required' }],
      );
    }
    try {
      const tokens = await this.deps.connections.exchangeCode(oauth.code, redirectUri);
      return (previous) => credentialsFromTokens(tokens, previous, now);
    } catch (error) {
      if (error instanceof InvalidGrantError) {
        throw new HttpError(
          422,
          'invalid_grant',
          'Keap refused the authorization code (unknown, expired or already used)',
        );
      }
      if (error instanceof KeapApiError) {
        throw new HttpError(
          502,
          'keap_unavailable',
          `Keap's token endpoint could not exchange the code: ${error.message}`,
        );
      }
      throw error;
    }
  }

  /** After credentials changed: the account workflow learns it, and waiting orders resume. */
  private async connectionChanged(account: Account, wasConnected: boolean): Promise<void> {
    const keap = account.keap;
    await this.deps.accountWorkflows.connectionChanged(account.accountId, {
      status: account.connection.status,
      authType: keap?.type,
      generation: keap?.type === 'oauth' ? keap.generation : undefined,
      expiresAt: keap?.type === 'oauth' ? keap.expiresAt : undefined,
      issuedAt: account.updatedAt,
    });
    if (account.connection.status === 'connected' && !wasConnected)
      await this.deps.orders.resumeWaitingOrders(account.accountId);
  }

  async put(
    accountId: string,
    body: z.output<typeof accountPutSchema>,
  ): Promise<{ account: Account; created: boolean }> {
    const now = new Date().toISOString();
    const { keap: input, ...settings } = body;
    const keap = await this.credentials(input);
    const build = (current?: Account): Account => ({
      accountId,
      ...settings,
      keap: keap(current?.keap),
      connection: connected(Date.now()),
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    });
    // An existing account is replaced under its row lock (a refresh committed meanwhile is seen).
    let existing: Account | undefined;
    let account = await this.deps.accounts.update(accountId, (current) => {
      existing = current;
      return build(current);
    });
    if (!account) {
      account = build();
      await this.deps.accounts.put(account);
    }
    const wasConnected = existing?.connection.status === 'connected';
    // A new account has nothing waiting; an existing one that was broken resumes what waits.
    await this.connectionChanged(account, existing ? wasConnected : true);
    const resynced = existing !== undefined && !wasConnected && account.salesSyncEnabled;
    if (account.salesSyncEnabled && !existing?.salesSyncEnabled && !resynced)
      await this.deps.resyncCheckouts?.(accountId);
    return { account, created: !existing };
  }

  async patch(accountId: string, patch: z.output<typeof accountPatchSchema>): Promise<Account> {
    const before = await this.require(accountId);
    const account = await this.deps.accounts.update(accountId, (current) => ({
      ...current,
      ...patch,
      updatedAt: new Date().toISOString(),
    }));
    if (!account) throw accountNotFound(accountId);
    if (account.salesSyncEnabled && !before.salesSyncEnabled) await this.deps.resyncCheckouts?.(accountId);
    return account;
  }

  /** Drops the credentials; orders and syncs wait until the merchant connects again. */
  async disconnect(accountId: string): Promise<Account> {
    const account = await this.deps.accounts.update(accountId, ({ keap: _dropped, ...current }) => ({
      ...current,
      connection: { status: 'disconnected', reason: 'the merchant disconnected Keap', since: new Date().toISOString() },
      updatedAt: new Date().toISOString(),
    }));
    if (!account) throw accountNotFound(accountId);
    await this.connectionChanged(account, false);
    return account;
  }

  require(accountId: string): Promise<Account> {
    return requireAccount(this.deps.accounts, accountId);
  }
}
