/**
 * How activities reach an account's Keap: the account is looked up by id at call time (secrets never
 * enter workflow history), OAuth access tokens are refreshed through the account workflow (which
 * serialises refreshes), and every failure leaves through the one Keap failure mapping
 * (activities/keap-failures.ts).
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Account, AccountStore } from '../accounts/account';
import type { KeapConnections } from '../accounts/connections';
import type { RefreshOutcome } from '../accounts/workflow/definitions';
import { KeapClient } from '../keap/client';
import type { KeapAuth, KeapCallRecord } from '../keap/client';
import { KeapApiError } from '../keap/errors';
import type { Database } from '../platform/database';
import { attemptStartedAt, noteAttemptStart } from './attempt-clock';
import { needsReconnectFailure, toActivityFailure } from './keap-failures';
import { KeapLedger, LedgerEra } from './keap-ledger';
import { SharedKeapRateLimiter } from './keap-rate-limit';

export interface KeapAccessDeps {
  accounts: AccountStore;
  connections: KeapConnections;
  /** Asks the account's workflow for a refresh (it serialises them); the worker wires a Temporal client. */
  requestRefresh(accountId: string, usedGeneration: number): Promise<RefreshOutcome>;
  /** Base URL for accounts that do not set their own. */
  defaultKeapBaseUrl: string;
  keapTimeoutMs: number;
  /** Shared by every process: the ledger of Keap writes and the per-credential pacing. */
  db: Database;
  onKeapCall?: (record: KeapCallRecord & { accountId: string }) => void;
}

export interface KeapSession {
  account: Account;
  keap: KeapClient;
  /** Identifies the Keap app behind an account, for records that must not leak across apps. */
  appKey: string;
  /** What was written to this Keap app, shared by every process (activities/keap-ledger.ts). */
  ledger: KeapLedger;
  /** The last moment this attempt may send a write (activities/keap-retry.ts retries only before it). */
  writeDeadline?: number;
}

/** Refresh an access token this close to its expiry before using it. */
const EXPIRY_MARGIN_MS = 60_000;

/** Keap's documented limits, until its headers say more: API keys 10/s, OAuth apps a 25/s spike arrest. */
const INITIAL_RATE = { apiKey: 10, oauth: 25 } as const;

export class KeapAccess {
  private readonly ledger: KeapLedger;
  private readonly ledgerEra: LedgerEra;
  /** Per credential; their state is in the database, this only keeps the last pace each wrote. */
  private readonly limiters = new Map<string, SharedKeapRateLimiter>();

  constructor(private readonly deps: KeapAccessDeps) {
    this.ledger = new KeapLedger(deps.db);
    this.ledgerEra = new LedgerEra(deps.db);
  }

  /** True when an earlier attempt of this activity may have written to Keap without the ledger knowing. */
  mayHaveWrittenUnrecorded(): Promise<boolean> {
    return this.ledgerEra.mayHaveWrittenUnrecorded();
  }

  private limiter(credentialKey: string, initialPerSecond: number): SharedKeapRateLimiter {
    let limiter = this.limiters.get(credentialKey);
    if (!limiter) {
      limiter = new SharedKeapRateLimiter(this.deps.db, credentialKey, initialPerSecond);
      this.limiters.set(credentialKey, limiter);
    }
    return limiter;
  }

  private async load(accountId: string): Promise<Account> {
    const account = await this.deps.accounts.get(accountId);
    if (!account) {
      throw ApplicationFailure.create({
        message: `Account ${accountId} does not exist`,
        type: 'AccountNotFound',
        nonRetryable: true,
      });
    }
    return account;
  }

  private async refreshed(accountId: string, usedGeneration: number): Promise<Account> {
    const outcome = await this.deps.requestRefresh(accountId, usedGeneration);
    if (outcome.status !== 'connected') throw needsReconnectFailure(accountId, outcome.reason ?? outcome.status);
    return this.load(accountId);
  }

  private async session(accountId: string): Promise<KeapSession> {
    let account = await this.load(accountId);
    let keap = account.keap;
    if (account.connection.status !== 'connected' || !keap) {
      throw needsReconnectFailure(
        accountId,
        account.connection.reason ?? `the account is ${account.connection.status}`,
      );
    }
    if (keap.type === 'oauth' && Date.parse(keap.expiresAt) - Date.now() < EXPIRY_MARGIN_MS) {
      account = await this.refreshed(accountId, keap.generation);
      keap = account.keap;
      if (keap?.type !== 'oauth') throw needsReconnectFailure(accountId, 'the connection changed while refreshing');
    }
    const auth: KeapAuth =
      keap.type === 'apiKey'
        ? { type: 'apiKey', apiKey: keap.apiKey }
        : { type: 'bearer', accessToken: keap.accessToken };
    const baseUrl = account.keapBaseUrl ?? this.deps.defaultKeapBaseUrl;
    // Keap limits per API key and per OAuth connection; the key's hash names it without keeping it.
    const credential =
      keap.type === 'apiKey'
        ? `key:${createHash('sha256').update(keap.apiKey).digest('hex').slice(0, 16)}`
        : `oauth:${accountId}`;
    const limiter = this.limiter(`${credential}@${baseUrl}`, INITIAL_RATE[keap.type]);
    const onKeapCall = this.deps.onKeapCall;
    const context = Context.current();
    const deadline = writeDeadline(context, this.deps.keapTimeoutMs);
    const client = new KeapClient(
      { baseUrl, auth },
      {
        timeoutMs: this.deps.keapTimeoutMs,
        signal: context.cancellationSignal,
        writeDeadline: deadline,
        limiter,
        onCall: onKeapCall ? (record) => onKeapCall({ ...record, accountId }) : undefined,
      },
    );
    return { account, keap: client, appKey: `${accountId}@${baseUrl}`, ledger: this.ledger, writeDeadline: deadline };
  }

  /** A 401: an OAuth token is refreshed (once); an API key is marked broken, so orders wait for a reconnect. */
  private async recoverFromUnauthorized(session: KeapSession): Promise<void> {
    const credentials = session.account.keap;
    if (credentials?.type === 'oauth') {
      await this.refreshed(session.account.accountId, credentials.generation);
      return;
    }
    const outcome = await this.deps.connections.markBroken(session.account, 'Keap rejected the API key (401)');
    throw needsReconnectFailure(
      session.account.accountId,
      outcome.status === 'connected' ? 'unknown' : (outcome.reason ?? ''),
    );
  }

  /**
   * Runs `work` with the account's Keap client; any failure becomes the right Temporal failure. Work
   * is retried once after a 401 and a token refresh, which is safe because every Keap step here
   * looks before it writes.
   */
  async run<T>(accountId: string, work: (session: KeapSession) => Promise<T>): Promise<T> {
    // The attempt's clock runs from before this session's account load and any OAuth refresh.
    noteAttemptStart(Context.current());
    try {
      const session = await this.session(accountId);
      try {
        return await work(session);
      } catch (error) {
        if (!(error instanceof KeapApiError) || error.kind !== 'unauthorized') throw error;
        await this.recoverFromUnauthorized(session);
        return await work(await this.session(accountId));
      }
    } catch (error) {
      throw toActivityFailure(error, Context.current().info.attempt);
    }
  }
}

/** Time kept between the last write's own timeout and the attempt's, for the response to arrive. */
const WRITE_MARGIN_MS = 5_000;

/**
 * The last moment a write may be sent in this attempt: the attempt's start-to-close timeout, counted
 * from the attempt's own start (activities/attempt-clock.ts), less one request timeout and a margin,
 * so no write of this attempt is still in flight when the next one looks.
 */
function writeDeadline(context: Context, keapTimeoutMs: number): number | undefined {
  const budget = context.info.startToCloseTimeoutMs;
  if (!budget) return undefined;
  return attemptStartedAt(context) + budget - keapTimeoutMs - WRITE_MARGIN_MS;
}
