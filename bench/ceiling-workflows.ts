/**
 * The ceiling: the most trivial useful Temporal workflow (one no-op activity), bundled and run by its own
 * worker on its own task queue. What it achieves on a machine bounds what any workflow can achieve there.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './ceiling-activities';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '30 seconds' });

export async function benchNoopWorkflow(): Promise<void> {
  await noop();
}
