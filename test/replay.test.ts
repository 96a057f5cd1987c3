/**
 * Order workflows outlive deployments (plans run for months, subscriptions for years), so every change
 * to workflow code must replay the histories of workflows already running. test/fixtures/histories
 * holds saved histories of each lifecycle; a non-deterministic change fails here. Change workflows
 * with `patched()` (README "Changing workflows"), then add histories with `npm run record-histories`.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../workers/worker';
import { installTestRuntime } from './support/runtime';
import { TEST_DATA_CONVERTER } from './support/stack';

const dir = join(__dirname, 'fixtures', 'histories');

function savedHistories() {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const saved = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { workflowId: string; history: unknown };
      return {
        workflowId: saved.workflowId,
        history: temporal.api.history.v1.History.fromObject(saved.history as object),
      };
    });
}

async function replay(workflowsPath: string) {
  const failures: string[] = [];
  let replayed = 0;
  // Histories recorded on the test stack carry payloads encrypted with its key (older ones are plain,
  // which the codec passes through), as production replays need the deployment's keys.
  const options = { workflowsPath, dataConverter: TEST_DATA_CONVERTER };
  for await (const result of Worker.runReplayHistories(options, savedHistories())) {
    replayed += 1;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return { replayed, failures };
}

describe('workflow replay of saved histories', function () {
  this.timeout(120_000);
  before(installTestRuntime);

  it('keeps histories of every lifecycle, including a continue-as-new chain', () => {
    const files = readdirSync(dir);
    for (const lifecycle of [
      'account-oauth',
      'checkout-sync',
      'checkout-resync',
      'one-time-waiting-for-reconnect',
      'one-time-paid',
      'one-time-needs-attention',
      'sync-disabled',
      'payment-plan-paid-in-full',
      'payment-plan-cancelled',
      'subscription.run1',
      'subscription.run2',
      // Recorded after patch one-activity-per-sale (one writeKeapSale per sale; orders started with their input).
      ...[
        'one-time-paid',
        'one-time-needs-attention',
        'one-time-waiting-for-reconnect',
        'sync-disabled',
        'payment-plan-paid-in-full',
        'payment-plan-cancelled',
        'subscription',
      ].map((lifecycle) => `${lifecycle}.one-activity-per-sale`),
      // Recorded after patch reconnect-backoff (re-checks backing off, no upserts between them, a long
      // wait continuing as new with its parked step), every lifecycle again and a wait of days.
      ...[
        'one-time-paid',
        'one-time-needs-attention',
        'one-time-waiting-for-reconnect',
        'one-time-long-wait',
        'sync-disabled',
        'payment-plan-paid-in-full',
        'payment-plan-cancelled',
        'subscription',
      ].map((lifecycle) => `${lifecycle}.reconnect-backoff`),
    ]) {
      assert.ok(
        files.some((f) => f.startsWith(lifecycle)),
        `a saved history for ${lifecycle}`,
      );
    }
  });

  it('replays every saved history with the current workflow code', async () => {
    const { replayed, failures } = await replay(WORKFLOWS_PATH);
    assert.deepEqual(failures, []);
    assert.equal(replayed, savedHistories().length);
  });

  it('fails when the workflow changes incompatibly (negative control)', async () => {
    const { failures } = await replay(require.resolve('./fixtures/changed-workflow'));
    const orderHistories = savedHistories().filter((h) => h.workflowId.startsWith('order:'));
    assert.deepEqual(
      failures.map((f) => f.split(':')[0]).sort(),
      orderHistories.map((h) => h.workflowId.split(':')[0]).sort(),
      'exactly the order histories fail against the changed order workflow',
    );
    for (const failure of failures) assert.match(failure, /[Nn]ondetermin/);
  });
});
