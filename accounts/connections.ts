/**
 * Keap connections: turning an authorization code or an imported token pair into stored credentials,
 * and refreshing them. Refreshes must be serialised per account (Keap rotates the refresh token), so
 * `refresh` is only ever called from the account workflow's activity; it is also safe against a
 * refresh that already happened, by the credentials' generation.
 */
import type { Account, AccountStore, KeapCredentials } from './account';
import type { KeapOAuthClient, TokenSet } from '../keap/oauth';
import { InvalidGrantError } from '../keap/errors';
import type { RefreshOutcome } from './workflow/definitions';

export function credentialsFromTokens(
  tokens: TokenSet,
  previous: KeapCredentials | undefined,
  now: number,
): KeapCredentials {
  return {
    type: 'oauth',
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: new Date(now + tokens.expiresIn * 1000).toISOString(),
    // Generations only grow, across reconnects too, so a stale refresh request is always recognised.
    generation: (previous?.type === 'oauth' ? previous.generation : 0) + 1,
  };
}

export function connected(now: number): Account['connection'] {
  return { status: 'connected', since: new Date(now).toISOString() };
}

export class KeapConnections {
  constructor(
    private readonly accounts: AccountStore,
    private readonly oauth: KeapOAuthClient | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get oauthConfigured(): boolean {
    return this.oauth !== undefined;
  }

  exchangeCode(code: string, redirectUri: string): Promise<TokenSet> {
    if (!this.oauth) throw new Error('Keap OAuth is not configured (KEAP_CLIENT_ID / KEAP_CLIENT_SECRET)');
    return this.oauth.exchangeCode(code, redirectUri);
  }

  /**
   * Refreshes the account's tokens unless someone already replaced the generation the caller used.
   * A refused grant marks the account needs_reconnect (orders then wait) instead of failing.
   */
  async refresh(accountId: string, usedGeneration: number): Promise<RefreshOutcome> {
    const account = await this.accounts.get(accountId);
    if (!account) return { status: 'disconnected', reason: 'the account does not exist' };
    const keap = account.keap;
    if (account.connection.status !== 'connected' || !keap) {
      return {
        status: account.connection.status === 'connected' ? 'disconnected' : account.connection.status,
        reason: account.connection.reason,
      };
    }
    if (keap.type !== 'oauth') return this.markBroken(account, 'Keap rejected the API key; connect the account again');
    if (keap.generation > usedGeneration) {
      return { status: 'connected', generation: keap.generation, expiresAt: keap.expiresAt, refreshed: false };
    }
    if (!this.oauth) throw new Error('Keap OAuth is not configured (KEAP_CLIENT_ID / KEAP_CLIENT_SECRET)');
    let tokens: TokenSet;
    try {
      tokens = await this.oauth.refresh(keap.refreshToken);
    } catch (error) {
      if (!(error instanceof InvalidGrantError)) throw error;
      // Refused because someone else already rotated it? Then the connection is fine.
      const now = (await this.accounts.get(accountId))?.keap;
      if (now?.type === 'oauth' && now.generation > usedGeneration) {
        return { status: 'connected', generation: now.generation, expiresAt: now.expiresAt, refreshed: false };
      }
      return this.markBroken(account, `Keap refused the refresh token: ${error.message}`);
    }
    // Stored at once: the old refresh token is already dead at Keap.
    const updated = await this.accounts.update(accountId, (current) => ({
      ...current,
      keap: credentialsFromTokens(tokens, current.keap, this.now()),
      updatedAt: new Date(this.now()).toISOString(),
    }));
    const fresh = updated?.keap;
    if (fresh?.type !== 'oauth') return { status: 'disconnected' };
    return { status: 'connected', generation: fresh.generation, expiresAt: fresh.expiresAt, refreshed: true };
  }

  /** Called when Keap answers 401 to an API key, or refuses a refresh: the merchant must reconnect. */
  async markBroken(account: Account, reason: string): Promise<RefreshOutcome> {
    await this.accounts.update(account.accountId, (current) => ({
      ...current,
      connection: { status: 'needs_reconnect', reason, since: new Date(this.now()).toISOString() },
      updatedAt: new Date(this.now()).toISOString(),
    }));
    return { status: 'needs_reconnect', reason };
  }
}
