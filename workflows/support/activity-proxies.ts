/**
 * The activity proxies workflows call, named by whose steps they are. Both share one retry policy:
 * unlimited attempts for what can heal (network, 5xx, 429); rejections are non-retryable and surface
 * as NeedsAttention instead. (The account workflow keeps its own proxy: token refreshes retry apart.)
 */
import type { ActivityOptions } from '@temporalio/workflow';
import { proxyActivities } from '@temporalio/workflow';
import type { SalesSyncActivities } from '../../activities';

const KEAP_STEP_OPTIONS: ActivityOptions = {
  // Above the Keap client's own request timeout, so a hung request fails in the client first.
  startToCloseTimeout: '45s',
  // Backoff between attempts stays short (a minute at most) while Keap answers: an order waiting for
  // its app's capacity is told when to come back (nextRetryDelay), and a healed app is used at once.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};

/**
 * An order's Keap steps. `ensureProducts` and `createKeapOrder` are replay-only: only the branch
 * before `ONE_ACTIVITY_PER_SALE` (workflows/support/patches.ts) calls them.
 */
export const orderSteps =
  proxyActivities<
    Pick<
      SalesSyncActivities,
      'writeKeapSale' | 'syncContact' | 'recordKeapPayment' | 'tagContact' | 'ensureProducts' | 'createKeapOrder'
    >
  >(KEAP_STEP_OPTIONS);

/** A checkout's steps: its Keap product sync, the checkout store, and asking checkout workflows to sync. */
export const checkoutSteps =
  proxyActivities<
    Pick<
      SalesSyncActivities,
      'syncCheckoutProduct' | 'recordCheckoutSyncFailure' | 'listCheckoutIds' | 'requestCheckoutSync'
    >
  >(KEAP_STEP_OPTIONS);
