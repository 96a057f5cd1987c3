/**
 * The write deadline of an activity attempt (issue 11, item 10): no Keap write may be sent in the last
 * seconds of an attempt, so that none is still in flight when the next attempt looks for it. The
 * attempt's clock starts when the activity does, not after whatever the session did first (an OAuth
 * refresh through the account workflow can take seconds), else a slow refresh pushes the cutoff past
 * the activity's own start-to-close timeout.
 */
import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Account, AccountStore } from '../accounts/account';
import type { KeapConnections } from '../accounts/connections';
import { attemptClockInterceptor } from '../activities/attempt-clock';
import { KeapAccess } from '../activities/keap-access';
import type { KeapAccessDeps } from '../activities/keap-access';
import { KEAP_FAILURE_TYPE } from '../common/failure-types';
import type { Database } from '../platform/database';
import { testDatabase } from './support/database';
import { connectedAccount } from './support/accounts';

const KEAP_TIMEOUT_MS = 1_000;
/** Keap's request timeout, the 5 s margin, and 300 ms in which writes may still go. */
const START_TO_CLOSE_MS = KEAP_TIMEOUT_MS + 5_000 + 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class MemoryAccounts implements AccountStore {
  private readonly accounts = new Map<string, Account>();
  get(accountId: string): Promise<Account | undefined> {
    return Promise.resolve(this.accounts.get(accountId));
  }
  put(account: Account): Promise<void> {
    this.accounts.set(account.accountId, account);
    return Promise.resolve();
  }
  update(accountId: string, change: (account: Account) => Account): Promise<Account | undefined> {
    const current = this.accounts.get(accountId);
    if (!current) return Promise.resolve(undefined);
    const next = change(current);
    this.accounts.set(accountId, next);
    return Promise.resolve(next);
  }
}

describe('Keap write deadline: measured from the activity attempt’s start', function () {
  this.timeout(20_000);
  let server: ReturnType<typeof createServer>;
  let keapUrl: string;
  /** Writes that reached "Keap". */
  let writes: string[];
  /** Whatever of the session keeps state across processes (the shared pacing) lives in PostgreSQL. */
  let db: Database;

  before(async function () {
    this.timeout(120_000);
    db = await testDatabase();
    server = createServer((req, res) => {
      if (req.method !== 'GET') writes.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: '1', name: 'Past due' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    keapUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/crm`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    writes = [];
  });

  function access(accounts: AccountStore, requestRefresh: KeapAccessDeps['requestRefresh']): KeapAccess {
    const deps: KeapAccessDeps & { db?: Database } = {
      accounts,
      connections: {} as KeapConnections,
      requestRefresh,
      defaultKeapBaseUrl: keapUrl,
      keapTimeoutMs: KEAP_TIMEOUT_MS,
      db,
    };
    return new KeapAccess(deps);
  }

  function account(keap: Account['keap']): Account {
    return connectedAccount('acct-deadline', keap);
  }

  async function refused(attempt: Promise<unknown>): Promise<void> {
    await assert.rejects(attempt, (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure, String(error));
      assert.equal(error.type, KEAP_FAILURE_TYPE.retryable);
      assert.match(error.message, /not sent: too little of this attempt's time is left/);
      return true;
    });
    assert.deepEqual(writes, [], 'no write reached Keap after the deadline');
  }

  it('a slow OAuth refresh inside the session counts against the attempt: the write is refused, not sent late', async () => {
    const accounts = new MemoryAccounts();
    const expired = new Date(Date.now() - 1_000).toISOString();
    await accounts.put(
      account({ type: 'oauth', accessToken: 'old', refreshToken: 'r1', expiresAt: expired, generation: 1 }),
    );
    // The account workflow takes 600 ms to refresh: longer than the 300 ms of write time the attempt has.
    const keapAccess = access(accounts, async (accountId) => {
      await sleep(600);
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      await accounts.update(accountId, (a) => ({
        ...a,
        keap: { type: 'oauth', accessToken: 'new', refreshToken: 'r2', expiresAt, generation: 2 },
      }));
      return { status: 'connected', generation: 2, expiresAt, refreshed: true };
    });
    const env = new MockActivityEnvironment({
      startToCloseTimeoutMs: START_TO_CLOSE_MS,
      currentAttemptScheduledTimestampMs: Date.now(),
    });
    await refused(env.run(() => keapAccess.run('acct-deadline', ({ keap }) => keap.createTag('Past due'))));
  });

  it('the worker’s clock starts with the attempt: time the activity spent before its Keap session counts', async () => {
    const accounts = new MemoryAccounts();
    await accounts.put(account({ type: 'apiKey', apiKey: 'k' }));
    const keapAccess = access(accounts, () => Promise.reject(new Error('no refresh for an API key')));
    // The worker builds the attempt's Context (and its interceptors) as it takes the task.
    const env = new MockActivityEnvironment(
      { startToCloseTimeoutMs: START_TO_CLOSE_MS, currentAttemptScheduledTimestampMs: Date.now() },
      { interceptors: [attemptClockInterceptor] },
    );
    await refused(
      env.run(async () => {
        await sleep(400); // e.g. reading the checkout store before the first Keap call
        return keapAccess.run('acct-deadline', ({ keap }) => keap.createTag('Past due'));
      }),
    );
  });

  it('with time to spare, the same write is sent', async () => {
    const accounts = new MemoryAccounts();
    await accounts.put(account({ type: 'apiKey', apiKey: 'k' }));
    const keapAccess = access(accounts, () => Promise.reject(new Error('no refresh for an API key')));
    const env = new MockActivityEnvironment({
      startToCloseTimeoutMs: START_TO_CLOSE_MS,
      currentAttemptScheduledTimestampMs: Date.now(),
    });
    await env.run(() => keapAccess.run('acct-deadline', ({ keap }) => keap.createTag('Past due')));
    assert.deepEqual(writes, ['POST /crm/rest/v2/tags']);
  });
});
