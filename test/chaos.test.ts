/**
 * The short chaos run inside `npm test` (the full one is `npm run test:chaos`): fewer orders, the same
 * kinds of traffic (four currencies, ids differing only in case, a 60-installment plan, late events,
 * deleted workflows posted again), 2 workers and 2 APIs on one PostgreSQL, the same faults and crashes
 * (a worker and an API SIGKILLed, the Temporal server and the database restarted), the same invariants
 * checked through Keap's API.
 */
import assert from 'node:assert/strict';
import { DEFAULT_CHAOS_OPTIONS, formatReport, runChaos } from './chaos/harness';

describe('chaos (short): 2 workers and 2 APIs, faults, redeliveries, late events, retention, SIGKILLs, Temporal and database restarts', function () {
  this.timeout(10 * 60_000);

  it('records every order once with exactly its payments: 0 duplicates, 0 lost, 0 stuck, money equal per currency', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const lines: string[] = [];
    const report = await runChaos({
      ...DEFAULT_CHAOS_OPTIONS,
      seed,
      orders: 40,
      concurrency: 8,
      trafficSeconds: 30,
      workers: 2,
      apis: 2,
      // Past one page of Keap's payment list (50), so a retried installment must read the second page.
      longPlan: { installments: 60, paid: 52 },
      workerKillsAt: [0.35],
      apiKillsAt: [0.7],
      serverRestartsAt: [0.2],
      databaseRestartsAt: [0.55],
      settleTimeoutMs: 4 * 60_000,
      log: (line) => lines.push(line),
    });
    const table = formatReport(report);
    if (process.env.CHAOS_VERBOSE || report.violations.length > 0)
      console.log([...lines, table, ...report.diagnostics].join('\n'));
    assert.deepEqual(report.violations, [], `seed ${seed}:\n${table}`);
    assert.equal(report.duplicates + report.lost + report.stuck + report.orphaned + report.moneyMismatches, 0);
    assert.equal(report.found.payments, report.expected.payments);
    assert.equal(report.found.keapOrders, report.expected.keapOrders);
    assert.ok(report.keap.faults > 0, 'faults were injected');
    assert.deepEqual(report.crashes, { workerKills: 1, apiKills: 1, serverRestarts: 1, databaseRestarts: 1 });
    assert.deepEqual(Object.keys(report.currencies).sort(), ['HUF', 'JPY', 'KWD', 'USD']);
    assert.ok(report.casePairs.pairs >= 1 && report.casePairs.separate === report.casePairs.pairs);
    assert.ok(report.retention.deleted >= 1 && report.retention.repostedDuplicate === report.retention.reposted);
    for (const [kind, { orders, ok }] of Object.entries(report.late)) assert.equal(ok, orders, kind);
  });
});
