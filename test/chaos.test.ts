/**
 * The short chaos run inside `npm test` (the full one is `npm run test:chaos`): fewer orders, the same
 * faults and crashes, the same invariants checked through Keap's API.
 */
import assert from 'node:assert/strict';
import { DEFAULT_CHAOS_OPTIONS, formatReport, runChaos } from './chaos/harness';

describe('chaos (short): faults, redeliveries, a worker and an API SIGKILL, a Temporal server restart', function () {
  this.timeout(10 * 60_000);

  it('records every order once with exactly its payments: 0 duplicates, 0 lost, 0 stuck', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const lines: string[] = [];
    const report = await runChaos({
      ...DEFAULT_CHAOS_OPTIONS,
      seed,
      orders: 40,
      concurrency: 8,
      workerKillsAt: [0.35],
      apiKillsAt: [0.7],
      serverRestartsAt: [0.5],
      settleTimeoutMs: 4 * 60_000,
      log: (line) => lines.push(line),
    });
    const table = formatReport(report);
    if (process.env.CHAOS_VERBOSE || report.violations.length > 0)
      console.log([...lines, table, ...report.diagnostics].join('\n'));
    assert.deepEqual(report.violations, [], `seed ${seed}:\n${table}`);
    assert.equal(report.duplicates + report.lost + report.stuck + report.orphaned, 0);
    assert.equal(report.found.payments, report.expected.payments);
    assert.equal(report.found.keapOrders, report.expected.keapOrders);
    assert.ok(report.keap.faults > 0, 'faults were injected');
    assert.deepEqual(report.crashes, { workerKills: 1, apiKills: 1, serverRestarts: 1 });
  });
});
