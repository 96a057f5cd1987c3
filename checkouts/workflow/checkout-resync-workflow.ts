/**
 * Re-syncs every stored checkout of an account (id `resync:{accountId}:{uuid}`), for example after
 * Sales Sync was turned on: checkouts published before were not written to Keap. It does not sync
 * them itself: it asks each checkout's own workflow (signal-with-start `published`, through an
 * activity), so a resync and a publish of the same checkout can never race into two Keap products,
 * and waits for that workflow's report. At most `concurrency` (default 5) checkouts are in flight.
 * Progress is the `progress` query; large accounts are listed page by page and continue as new.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CheckoutResyncWorkflowArgs, CheckoutSyncReport, ResyncProgress } from './definitions';
import { checkoutSyncedSignal, resyncProgressQuery } from './definitions';
import { checkoutSteps } from '../../workflows/support/activity-proxies';
import { failureMessage } from '../../workflows/support/keap-step';
import { SA_STATUS } from '../../workflows/support/search-attributes';

export const DEFAULT_RESYNC_CONCURRENCY = 5;
const DEFAULT_ITEM_TIMEOUT_MS = 15 * 60 * 1000;
const PAGE_SIZE = 500;
/** The failures listed in the progress (all are counted). */
const MAX_LISTED_FAILURES = 100;

export async function checkoutResyncWorkflow(args: CheckoutResyncWorkflowArgs): Promise<ResyncProgress> {
  const { accountId } = args;
  const concurrency = Math.min(50, Math.max(1, Math.floor(args.concurrency ?? DEFAULT_RESYNC_CONCURRENCY)));
  const itemTimeoutMs = args.itemTimeoutMs ?? DEFAULT_ITEM_TIMEOUT_MS;
  const self = workflowInfo().workflowId;
  const progress: ResyncProgress = args.carried?.progress ?? {
    resyncId: args.resyncId,
    accountId,
    status: 'Running',
    total: 0,
    synced: 0,
    failed: 0,
    pending: 0,
    notSynced: 0,
    inFlight: 0,
    maxInFlight: 0,
    concurrency,
    failures: [],
    startedAt: new Date().toISOString(),
  };
  /** Checkouts taken so far (this run and those before a continue-as-new). */
  let taken = progress.synced + progress.failed + progress.notSynced;
  const waiting = new Set<string>();
  const reports = new Map<string, CheckoutSyncReport>();
  /** Counted as failed for want of a report; a late report corrects the count. */
  const timedOut = new Set<string>();

  function refresh(): void {
    progress.total = Math.max(progress.total, taken);
    progress.pending = progress.total - progress.synced - progress.failed - progress.notSynced;
    progress.inFlight = waiting.size;
    progress.maxInFlight = Math.max(progress.maxInFlight, waiting.size);
    setCurrentDetails(
      `**${progress.status}** · ${progress.synced} of ${progress.total} synced · ${progress.failed} failed · ` +
        `${progress.notSynced} not synced (Sales Sync off) · ${progress.pending} pending`,
    );
  }

  function fail(checkoutId: string, error: string): void {
    progress.failed++;
    if (progress.failures.length < MAX_LISTED_FAILURES) progress.failures.push({ checkoutId, error });
  }

  function tally(report: CheckoutSyncReport): void {
    if (report.status === 'Synced' || report.status === 'Deactivated') progress.synced++;
    else if (report.status === 'NotSynced') progress.notSynced++;
    else fail(report.checkoutId, report.error ?? 'Keap rejected the sync');
  }

  setHandler(resyncProgressQuery, () => progress);
  setHandler(checkoutSyncedSignal, (report) => {
    if (waiting.has(report.checkoutId)) {
      if (!reports.has(report.checkoutId)) reports.set(report.checkoutId, report);
    } else if (timedOut.delete(report.checkoutId)) {
      progress.failed--;
      progress.failures = progress.failures.filter((f) => f.checkoutId !== report.checkoutId);
      tally(report);
      refresh();
    }
  });

  async function resyncOne(checkoutId: string): Promise<void> {
    taken++;
    waiting.add(checkoutId);
    refresh();
    try {
      const requested = await checkoutSteps.requestCheckoutSync({ accountId, checkoutId, notifyWorkflowId: self });
      if (!requested) {
        fail(checkoutId, 'the checkout is no longer stored');
      } else if (await condition(() => reports.has(checkoutId), itemTimeoutMs)) {
        tally(reports.get(checkoutId) as CheckoutSyncReport);
      } else {
        timedOut.add(checkoutId);
        fail(checkoutId, `no result within ${Math.round(itemTimeoutMs / 60_000)} min; its own workflow keeps trying`);
      }
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      fail(checkoutId, failureMessage(error));
    } finally {
      waiting.delete(checkoutId);
      reports.delete(checkoutId);
      refresh();
    }
  }

  let after = args.carried?.after;
  for (;;) {
    const page = await checkoutSteps.listCheckoutIds({ accountId, after, limit: PAGE_SIZE });
    if (!args.carried && after === undefined) progress.total = page.total;
    refresh();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < page.ids.length) await resyncOne(page.ids[next++] as string);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, page.ids.length) }, lane));
    if (page.ids.length < PAGE_SIZE) break;
    after = page.ids[page.ids.length - 1];
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof checkoutResyncWorkflow>({ ...args, carried: { progress, after } });
    }
  }

  progress.status = 'Completed';
  progress.completedAt = new Date().toISOString();
  refresh();
  upsertSearchAttributes([{ key: SA_STATUS, value: progress.failed > 0 ? 'CompletedWithFailures' : 'Completed' }]);
  return progress;
}
