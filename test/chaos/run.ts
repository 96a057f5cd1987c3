/**
 * npm run test:chaos: the full chaos suite (300 mixed orders by default, faults on, the worker and the
 * API SIGKILLed, the Temporal server restarted on its database). Prints the figures table, writes it to
 * data/chaos/latest.json, and exits 1 on any violation.
 * Flags: --orders=N, --seed=N (default: random, printed), --fault-rate=P, --concurrency=N.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CHAOS_OPTIONS, formatReport, runChaos } from './harness';

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

async function main(): Promise<number> {
  const seed = Number(flag('seed') ?? process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const report = await runChaos({
    ...DEFAULT_CHAOS_OPTIONS,
    seed,
    orders: Number(flag('orders') ?? DEFAULT_CHAOS_OPTIONS.orders),
    faultRate: Number(flag('fault-rate') ?? DEFAULT_CHAOS_OPTIONS.faultRate),
    concurrency: Number(flag('concurrency') ?? DEFAULT_CHAOS_OPTIONS.concurrency),
    log: (line) => console.log(line),
  });
  const dir = join(__dirname, '..', '..', 'data', 'chaos');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${formatReport(report)}\n`);
  for (const line of report.violations.slice(0, 50)) console.log(`violation: ${line}`);
  for (const line of report.diagnostics) console.log(`stuck: ${line}`);
  const failed = report.violations.length;
  console.log(`chaos: ${report.orders.total - report.stuck} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
