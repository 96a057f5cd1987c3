/** Builds the Sales Sync worker: the order workflows plus the Keap activities, on one task queue. */
import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { attemptClockInterceptor } from '../activities/attempt-clock';
import type { ActivityDeps } from '../activities';

export interface SalesSyncWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ActivityDeps;
  /** The payload codec (encryption); the same on every client and worker of a namespace. */
  dataConverter?: WorkerOptions['dataConverter'];
  /** A pre-built bundle (tests share one); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Concurrency limits; the SDK's defaults when unset. */
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxCachedWorkflows'>;
}

export const WORKFLOWS_PATH = require.resolve('../workflows');

export function createSalesSyncWorker(options: SalesSyncWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter: options.dataConverter,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(options.activities),
    // Each attempt's clock starts as the worker takes it, for the Keap write deadline.
    interceptors: { activity: [attemptClockInterceptor] },
    ...options.tuning,
  });
}
