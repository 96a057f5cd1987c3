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
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CheckoutSyncResult } from './definitions';
import type { CheckoutSyncStatus } from '../checkout';
import { formatMoney } from '../../common/money';
import type { CheckoutSyncReport, CheckoutSyncWorkflowArgs, CheckoutWorkflowState } from './definitions';
import { checkoutResumeSignal, checkoutStateQuery, checkoutSyncedSignal, publishedSignal } from './definitions';
import { checkoutSteps } from '../../workflows/support/activity-proxies';
import { Latch, waitOutRejection } from '../../workflows/support/keap-step';
import { StatusBoard } from '../../workflows/support/status';
import { nowIso } from '../../workflows/support/time';

export const DEFAULT_QUIET_PERIOD_MS = 60 * 60 * 1000;

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
  const resume = new Latch();
  // The starter sets SalesSyncStatus=Pending; continue-as-new carries the current value.
  const board = new StatusBoard<CheckoutSyncStatus>(carried ? state.status : 'Pending');

  setHandler(publishedSignal, (published) => {
    requested++;
    state.publishedVersion = Math.max(state.publishedVersion, published.version);
    if (published.notifyWorkflowId) waiters.push({ workflowId: published.notifyWorkflowId, seq: requested });
  });
  setHandler(checkoutResumeSignal, () => resume.raise());
  setHandler(checkoutStateQuery, () => state);

  function setStatus(status: CheckoutSyncStatus, details: string): void {
    state.status = status;
    state.updatedAt = nowIso();
    board.show(status, details);
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
        const result = await checkoutSteps.syncCheckoutProduct({ accountId, checkoutId });
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
        /** Publishes the parked sync has seen: a later one is worth a try too. */
        let seen = requested;
        await waitOutRejection(error, 'syncCheckoutProduct', {
          park: async (_status, { error: message, since }) => {
            state.attention = { error: message, since };
            try {
              await checkoutSteps.recordCheckoutSyncFailure({ accountId, checkoutId, error: message });
            } catch (recordError) {
              if (!(recordError instanceof ActivityFailure)) throw recordError;
              log.warn('could not record the failure in the checkout store', { error: String(recordError) });
            }
            setStatus(
              'NeedsAttention',
              `Keap rejected the sync: ${message}. Fix the cause, then publish again or resume.`,
            );
            seen = requested;
            await notify(seen, { status: 'NeedsAttention', error: message });
          },
          resume,
          resumeWhen: () => requested > seen,
        });
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
