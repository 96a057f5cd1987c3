/**
 * One workflow per checkout (id `checkout:{accountId}:{checkoutId}`) while it is being published:
 * every publish reaches it by signal-with-start `published`, and it runs one Keap sync at a time,
 * always of the checkout's LATEST stored version, so rapid republishes never race into two Keap
 * products; publishes that arrive during a sync are folded into one more sync. After an hour without
 * publishes it completes; the next publish starts it again. A Keap rejection parks it in
 * NeedsAttention (as orders do) until a new publish or the `resume` signal.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CheckoutSyncResult } from '../activities/product-sync';
import type { CheckoutSyncStatus } from '../checkout';
import { formatMoney } from '../../common/money';
import type { CheckoutSyncReport, CheckoutSyncWorkflowArgs, CheckoutWorkflowState } from './definitions';
import { checkoutResumeSignal, checkoutStateQuery, checkoutSyncedSignal, publishedSignal } from './definitions';
import { keap } from '../../workflows/support/activity-proxies';
import { SA_STATUS } from '../../workflows/support/search-attributes';

export const DEFAULT_QUIET_PERIOD_MS = 60 * 60 * 1000;

function nowIso(): string {
  return new Date().toISOString(); // Deterministic in workflows: the workflow task's time.
}

function rejectionMessage(error: ActivityFailure): string {
  const cause = error.cause;
  return cause instanceof ApplicationFailure ? cause.message : (cause?.message ?? error.message);
}

function describeResult(result: CheckoutSyncResult): string {
  if (result.status === 'NotSynced') return `version ${result.version} · ${result.reason ?? 'Sales Sync is off'}`;
  const parts = [`version ${result.version}`, `Keap product ${result.keapProductId ?? '?'} (SKU ${result.sku})`];
  if (result.keapPrice !== undefined) parts.push(formatMoney(result.keapPrice, result.currency));
  if (result.keapSubscriptionPlanId) parts.push(`subscription plan ${result.keapSubscriptionPlanId}`);
  return parts.join(' · ');
}

export async function checkoutSyncWorkflow(args: CheckoutSyncWorkflowArgs): Promise<CheckoutWorkflowState> {
  const { accountId, checkoutId } = args;
  const quietPeriodMs = args.quietPeriodMs ?? DEFAULT_QUIET_PERIOD_MS;
  const carried = args.carried;
  const state: CheckoutWorkflowState = carried?.state ?? {
    workflowId: workflowInfo().workflowId,
    accountId,
    checkoutId,
    status: 'Pending',
    publishedVersion: 0,
    syncedVersion: 0,
    syncs: 0,
    updatedAt: nowIso(),
  };
  /** Publishes received, and how many of them the latest finished sync covered. */
  let requested = carried?.pending ? 1 : 0;
  let handled = 0;
  /** Resync workflows waiting for the sync that covers their request (`seq`). */
  let waiters = (carried?.notify ?? []).map((workflowId) => ({ workflowId, seq: 1 }));
  let resumeRequested = false;
  // The starter sets SalesSyncStatus=Pending; continue-as-new carries the current value.
  let searchableStatus: CheckoutSyncStatus = carried ? state.status : 'Pending';

  setHandler(publishedSignal, (published) => {
    requested++;
    state.publishedVersion = Math.max(state.publishedVersion, published.version);
    if (published.notifyWorkflowId) waiters.push({ workflowId: published.notifyWorkflowId, seq: requested });
  });
  setHandler(checkoutResumeSignal, () => {
    resumeRequested = true;
  });
  setHandler(checkoutStateQuery, () => state);

  /** Status, UI details, and one search-attribute upsert per change (each upsert is a billed action). */
  function setStatus(status: CheckoutSyncStatus, details: string): void {
    state.status = status;
    state.updatedAt = nowIso();
    setCurrentDetails(`**${status}** · ${details}`);
    if (status === searchableStatus) return;
    searchableStatus = status;
    upsertSearchAttributes([{ key: SA_STATUS, value: status }]);
  }

  /** Tells the resync workflows whose requests (up to `upTo`) this outcome covers. */
  async function notify(upTo: number, report: Omit<CheckoutSyncReport, 'checkoutId'>): Promise<void> {
    const due = new Set(waiters.filter((w) => w.seq <= upTo).map((w) => w.workflowId));
    waiters = waiters.filter((w) => w.seq > upTo);
    await Promise.all(
      [...due].map(async (workflowId) => {
        try {
          await getExternalWorkflowHandle(workflowId).signal(checkoutSyncedSignal, { checkoutId, ...report });
        } catch (error) {
          // The resync has ended (or was terminated): nobody is waiting any more.
          log.warn('could not report a checkout sync to its resync', { workflowId, error: String(error) });
        }
      }),
    );
  }

  /** Syncs the latest version; a rejection waits in NeedsAttention for a publish or `resume`, then tries again. */
  async function syncLatest(): Promise<void> {
    for (;;) {
      const target = requested;
      try {
        const result = await keap.syncCheckoutProduct({ accountId, checkoutId });
        handled = target;
        state.syncs++;
        state.attention = undefined;
        if (result.status !== 'NotSynced') {
          state.syncedVersion = result.version;
          state.keapProductId = result.keapProductId;
          state.keapSubscriptionPlanId = result.keapSubscriptionPlanId;
        }
        setStatus(result.status, describeResult(result));
        await notify(target, { status: result.status, version: result.version, keapProductId: result.keapProductId });
        return;
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        const message = rejectionMessage(error);
        state.attention = { error: message, since: nowIso() };
        try {
          await keap.recordCheckoutSyncFailure({ accountId, checkoutId, error: message });
        } catch (recordError) {
          if (!(recordError instanceof ActivityFailure)) throw recordError;
          log.warn('could not record the failure in the checkout store', { error: String(recordError) });
        }
        setStatus('NeedsAttention', `Keap rejected the sync: ${message}. Fix the cause, then publish again or resume.`);
        const seen = requested;
        await notify(seen, { status: 'NeedsAttention', error: message });
        await condition(() => resumeRequested || requested > seen);
        resumeRequested = false;
        setStatus('Pending', 'trying again');
      }
    }
  }

  for (;;) {
    if (requested > handled) {
      if (state.status !== 'Pending') setStatus('Pending', `syncing version ${state.publishedVersion}`);
      await syncLatest();
      continue;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof checkoutSyncWorkflow>({
        ...args,
        carried: { state, pending: requested > handled, notify: waiters.map((w) => w.workflowId) },
      });
    }
    if (await condition(() => requested > handled, quietPeriodMs)) continue;
    // Quiet: finish, unless a publish slipped in while handlers ran.
    await condition(allHandlersFinished);
    if (requested === handled) return state;
  }
}
