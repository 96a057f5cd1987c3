/**
 * npm run test:chaos: the full chaos suite (300 mixed orders in four currencies by default, 2 worker
 * and 2 API processes on one PostgreSQL, faults on, workers and an API SIGKILLed, the Temporal server
 * and the database restarted, closed workflows deleted and posted again, late events). Prints the
 * figures table, writes it to data/chaos/latest.json, and exits 1 on any violation.
 * Flags: --orders=N, --seed=N (default: random, printed), --fault-rate=P, --concurrency=N,
 * --traffic-seconds=N (spread the deliveries over at least N seconds; default 120), --workers=N,
 * --apis=N (default 2 and 2), --long-plan=INSTALLMENTS:PAID (default 60:55; 0:0 for none), --update-doc
 * (writes the table into RELIABILITY.md's "Last chaos run" section).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { DEFAULT_CHAOS_OPTIONS, formatReport, runChaos, type ChaosReport } from './harness';

const ROOT = join(__dirname, '..', '..');
const DOC_START = '<!-- chaos-figures:start -->';
const DOC_END = '<!-- chaos-figures:end -->';

/** Replaces the figures between the markers in RELIABILITY.md with this run's. */
async function updateDoc(report: ChaosReport, argv: string[]): Promise<void> {
  const file = join(ROOT, 'RELIABILITY.md');
  const doc = readFileSync(file, 'utf8');
  const start = doc.indexOf(DOC_START);
  const end = doc.indexOf(DOC_END);
  if (start < 0 || end < start) throw new Error(`RELIABILITY.md lacks the ${DOC_START} … ${DOC_END} markers`);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const section = [
    DOC_START,
    '',
    `\`npm run test:chaos -- ${argv.join(' ')}\` on ${new Date().toISOString().slice(0, 10)}, commit ${commit}, ${cpus().length} cores:`,
    '',
    '| figure | value |',
    '| --- | --- |',
    formatReport(report),
    '',
  ].join('\n');
  const text = doc.slice(0, start) + section + doc.slice(end);
  writeFileSync(file, await format(text, { ...(await resolveConfig(file)), filepath: file }));
}

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

function count(name: string, fallback: number, min: number): number {
  const value = Number(flag(name) ?? fallback);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
  return value;
}

function longPlan(): { installments: number; paid: number } {
  const spec = flag('long-plan');
  if (spec === undefined) return DEFAULT_CHAOS_OPTIONS.longPlan;
  const [installments, paid] = spec.split(':').map(Number);
  if (!Number.isInteger(installments) || !Number.isInteger(paid) || (paid as number) > (installments as number)) {
    throw new Error('--long-plan must be INSTALLMENTS:PAID, e.g. 60:55');
  }
  return { installments: installments as number, paid: paid as number };
}

async function main(): Promise<number> {
  const seed = Number(flag('seed') ?? process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const report = await runChaos({
    ...DEFAULT_CHAOS_OPTIONS,
    seed,
    orders: count('orders', DEFAULT_CHAOS_OPTIONS.orders, 1),
    faultRate: Number(flag('fault-rate') ?? DEFAULT_CHAOS_OPTIONS.faultRate),
    concurrency: count('concurrency', DEFAULT_CHAOS_OPTIONS.concurrency, 1),
    trafficSeconds: count('traffic-seconds', DEFAULT_CHAOS_OPTIONS.trafficSeconds, 0),
    workers: count('workers', DEFAULT_CHAOS_OPTIONS.workers, 1),
    apis: count('apis', DEFAULT_CHAOS_OPTIONS.apis, 1),
    longPlan: longPlan(),
    log: (line) => console.log(line),
  });
  const dir = join(__dirname, '..', '..', 'data', 'chaos');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${formatReport(report)}\n`);
  if (process.argv.includes('--update-doc')) {
    await updateDoc(
      report,
      process.argv.slice(2).filter((a) => a !== '--update-doc'),
    );
  }
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
