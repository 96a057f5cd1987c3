/** A merchant account: its Sales Sync settings and its Keap connection. */
export interface Account {
  accountId: string;
  keap: { apiKey: string };
  /** Keap API base URL for this account; unset means the deployment default. */
  keapBaseUrl?: string;
  salesSyncEnabled: boolean;
  /** Name of a Manual Payment Type configured in the merchant's Keap app, used for recorded payments. */
  paymentMethodType: string;
  /** Days after an installment or renewal is due before the order turns PastDue. */
  gracePeriodDays: number;
  /** Keap tag applied to the contact while an order is PastDue or PaymentFailed. */
  pastDueTag?: string;
  createdAt: string;
  updatedAt: string;
}

export interface RedactedAccount extends Omit<Account, 'keap'> {
  keap: { apiKey: string };
}

/** Shows only enough of a secret to recognise it. */
export function redactSecret(secret: string): string {
  return secret.length <= 8 ? '[redacted]' : `[redacted …${secret.slice(-4)}]`;
}

export function redactAccount(account: Account): RedactedAccount {
  return { ...account, keap: { apiKey: redactSecret(account.keap.apiKey) } };
}

export interface AccountStore {
  get(accountId: string): Promise<Account | undefined>;
  put(account: Account): Promise<void>;
}
