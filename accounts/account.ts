/** A merchant account: its Sales Sync settings and its Keap connection. */

/** How Sales Sync authenticates to the merchant's Keap app. */
export type KeapCredentials =
  | { type: 'apiKey'; apiKey: string }
  | {
      type: 'oauth';
      accessToken: string;
      refreshToken: string;
      /** When the access token stops working (Keap: about 24 h after issue). */
      expiresAt: string;
      /** Increases with every token pair; a refresh is only needed by whoever used the current one. */
      generation: number;
    };

/**
 * `needs_reconnect`: Keap refused the refresh token (invalid_grant) or the merchant revoked access;
 * `disconnected`: the merchant disconnected. Either way orders and product syncs wait, visibly, and
 * resume by themselves after the merchant connects again.
 */
export type ConnectionStatus = 'connected' | 'needs_reconnect' | 'disconnected';

export interface Account {
  accountId: string;
  /** Absent while disconnected. */
  keap?: KeapCredentials;
  connection: { status: ConnectionStatus; reason?: string; since: string };
  /** Keap API base URL for this account; unset means the deployment default. */
  keapBaseUrl?: string;
  salesSyncEnabled: boolean;
  /** Name of a Manual Payment Type configured in the merchant's Keap app, used for recorded payments. */
  paymentMethodType: string;
  /** Days after an installment or renewal is due before the order turns PastDue. */
  gracePeriodDays: number;
  /** Keap tag applied to the contact while an order is PastDue or PaymentFailed. */
  pastDueTag?: string;
  /**
   * The currency the merchant's Keap app keeps its books in (ISO 4217), when the merchant says: an
   * order in another is refused at the edge. Unset, a mismatch is found when the order is written.
   */
  currency?: string;
  createdAt: string;
  updatedAt: string;
}

export type RedactedCredentials = { type: 'apiKey'; apiKey: string } | { type: 'oauth'; expiresAt: string };

export interface RedactedAccount extends Omit<Account, 'keap'> {
  keap?: RedactedCredentials;
}

/** Shows only enough of a secret to recognise it. */
export function redactSecret(secret: string): string {
  return secret.length <= 8 ? '[redacted]' : `[redacted …${secret.slice(-4)}]`;
}

/** The account as the API shows it: no token and no key in plain text, ever. */
export function redactAccount(account: Account): RedactedAccount {
  const { keap, ...rest } = account;
  if (!keap) return rest;
  return {
    ...rest,
    keap:
      keap.type === 'apiKey'
        ? { type: 'apiKey', apiKey: redactSecret(keap.apiKey) }
        : { type: 'oauth', expiresAt: keap.expiresAt },
  };
}

export interface AccountStore {
  get(accountId: string): Promise<Account | undefined>;
  put(account: Account): Promise<void>;
  /** Read-modify-write of one account, serialised with every other write of this store. */
  update(accountId: string, change: (account: Account) => Account): Promise<Account | undefined>;
}
