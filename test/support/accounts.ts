/** A merchant account as the store keeps it, connected to Keap by an API key: the tests' one builder. */
import type { Account } from '../../accounts/account';

export function connectedAccount(
  accountId: string,
  keap: Account['keap'] = { type: 'apiKey', apiKey: 'sandbox-api-key' },
  overrides: Partial<Account> = {},
): Account {
  const now = new Date().toISOString();
  return {
    accountId,
    keap,
    connection: { status: 'connected', since: now },
    salesSyncEnabled: true,
    paymentMethodType: 'Stripe',
    gracePeriodDays: 3,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
