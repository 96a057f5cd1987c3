/**
 * One long-lived workflow per account (id `account:{accountId}`) that owns its Keap OAuth refreshes.
 * Keap rotates the refresh token on every refresh, so two refreshes must never race: every refresh
 * (scheduled ahead of expiry, or asked for by an activity that got a 401) runs here, one at a time.
 * Tokens themselves stay in the account store; this history only sees generations and expiry times.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { SalesSyncActivities } from '../../activities';
import type { RefreshOutcome } from './definitions';
import type { AccountWorkflowArgs, ConnectionState } from './definitions';
import { connectionChangedSignal, connectionQuery, refreshTokensUpdate } from './definitions';
import { StatusBoard } from '../../workflows/support/status';

const { refreshKeapTokens, describeKeapConnection } = proxyActivities<SalesSyncActivities>({
  startToCloseTimeout: '45s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m' },
});

const HOUR = 3_600_000;
const STATUS_LABEL = {
  connected: 'Connected',
  needs_reconnect: 'NeedsReconnect',
  disconnected: 'Disconnected',
} as const;

/** Refresh a quarter of the token's life before it expires, but never more than an hour ahead. */
export function refreshDueAt(state: ConnectionState): number | undefined {
  if (state.status !== 'connected' || state.authType !== 'oauth' || !state.expiresAt) return undefined;
  const expires = Date.parse(state.expiresAt);
  const issued = state.issuedAt ? Date.parse(state.issuedAt) : expires - 24 * HOUR;
  return expires - Math.min(HOUR, Math.max(0, expires - issued) / 4);
}

export async function accountWorkflow(args: AccountWorkflowArgs): Promise<void> {
  const state: ConnectionState = args.carried ?? { status: 'disconnected', refreshes: 0 };
  let loaded = args.carried !== undefined;
  let changed = false;
  let refreshing = false;
  const board = new StatusBoard<(typeof STATUS_LABEL)[keyof typeof STATUS_LABEL]>(undefined);

  const show = () => {
    const expiry = state.expiresAt ? `token ${state.generation} expires ${state.expiresAt}` : '';
    const details = [state.reason, expiry, `${state.refreshes} refreshes`].filter(Boolean).join(' · ');
    board.show(STATUS_LABEL[state.status], details);
  };

  /** One refresh at a time; a caller whose generation is already replaced gets the newer one at once. */
  async function refresh(usedGeneration: number): Promise<RefreshOutcome> {
    // Several waiters can wake in one activation; each re-checks before taking the lock.
    while (!loaded || refreshing) await condition(() => loaded && !refreshing);
    if (state.status !== 'connected') return { status: state.status, reason: state.reason };
    if (state.generation !== undefined && state.generation > usedGeneration && state.expiresAt) {
      return { status: 'connected', generation: state.generation, expiresAt: state.expiresAt, refreshed: false };
    }
    refreshing = true;
    try {
      const outcome = await refreshKeapTokens({ accountId: args.accountId, usedGeneration });
      if (outcome.status === 'connected') {
        if (outcome.refreshed) {
          state.refreshes += 1;
          state.lastRefreshAt = new Date().toISOString();
          state.issuedAt = state.lastRefreshAt;
        }
        state.generation = outcome.generation;
        state.expiresAt = outcome.expiresAt;
      } else {
        state.status = outcome.status;
        state.reason = outcome.reason;
      }
      show();
      return outcome;
    } finally {
      refreshing = false;
    }
  }

  setHandler(connectionQuery, () => state);
  setHandler(refreshTokensUpdate, ({ usedGeneration }) => refresh(usedGeneration));
  setHandler(connectionChangedSignal, (next) => {
    Object.assign(state, { reason: undefined, ...next });
    changed = true;
  });

  if (!loaded) {
    // Started by whoever needed it first (a refresh request, a connect): learn the connection from the store.
    Object.assign(state, await describeKeapConnection(args.accountId), { refreshes: 0 });
    loaded = true;
  }
  show();
  for (;;) {
    const due = refreshDueAt(state);
    const wait = due === undefined ? undefined : due - Date.now();
    if (wait !== undefined && wait <= 0) {
      await refresh(state.generation ?? 0);
    } else {
      const timedOut = !(await (wait === undefined
        ? condition(() => changed).then(() => true)
        : condition(() => changed, wait, { summary: `refresh the Keap access token ahead of ${state.expiresAt}` })));
      if (timedOut) await refresh(state.generation ?? 0);
    }
    if (changed) {
      changed = false;
      show();
    }
    const info = workflowInfo();
    const limit = args.continueAsNewAfterEvents;
    if (info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit)) {
      await condition(() => allHandlersFinished() && !refreshing);
      await continueAsNew<typeof accountWorkflow>({ ...args, carried: state });
    }
  }
}
