/** Child process: the ceiling worker (bench-only workflow bundle, own task queue). Env: BENCH_TEMPORAL_ADDRESS. */
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './ceiling-activities';

export const CEILING_TASK_QUEUE = 'bench-ceiling';

async function main(): Promise<void> {
  const address = process.env.BENCH_TEMPORAL_ADDRESS;
  if (!address) throw new Error('BENCH_TEMPORAL_ADDRESS is required');
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: CEILING_TASK_QUEUE,
    workflowsPath: require.resolve('./ceiling-workflows'),
    activities,
  });
  const running = worker.run();
  console.log('ceiling worker ready');
  await running;
  await connection.close();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
