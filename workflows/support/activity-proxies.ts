/** The activity proxy every order lifecycle uses, with one retry policy for all Keap steps. */
import { proxyActivities } from '@temporalio/workflow';
import type { SalesSyncActivities } from '../../activities';

export const keap = proxyActivities<SalesSyncActivities>({
  // Above the Keap client's own request timeout, so a hung request fails in the client first.
  startToCloseTimeout: '45s',
  // Unlimited attempts for what can heal (network, 5xx, 429); rejections are non-retryable and
  // surface as NeedsAttention instead.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});
