/**
 * npm run test:fuzz: fuzzes the API from its own OpenAPI document with schemathesis (pinned in
 * test/fuzz/requirements.txt, installed into tools/python by scripts/install-python-tools.mjs). It
 * starts the same stack as the tests (real Temporal dev server, Keap sandbox, worker, API), creates
 * one account with Sales Sync off, and runs `schemathesis run` against /v1/openapi.json with the
 * bearer token: every operation, positive and negative inputs, bounded by FUZZ_MAX_EXAMPLES per
 * operation (default 30) and FUZZ_MAX_TIME seconds (default 60: fuzzing repeats until the time is spent). It fails on any finding of the
 * not_a_server_error check (a 5xx, or a connection the server dropped).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAccount } from '../support/fixtures';
import { stopTestDatabases } from '../support/database';
import { API_TOKEN, getStack, stopStack } from '../support/stack';

const root = join(__dirname, '..', '..');
const SCHEMATHESIS = join(root, 'tools', 'python', 'bin', 'schemathesis');
const ACCOUNT_ID = 'fuzz-account';

/**
 * Runs schemathesis with its output in `logPath`, not on the console: its pytest-style closing banner
 * ("=== 2 warnings in 60s ===") would otherwise be the last summary CI tooling sees.
 */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, logPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logPath);
    // Run in data/ (git-ignored): schemathesis keeps a .schemathesis/ cache in its working directory.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: join(root, 'data') });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.once('error', reject);
    child.once('close', (code, signal) => log.end(() => resolve(code ?? (signal ? 1 : 0))));
  });
}

/**
 * One plain `N passed, N failed` line (operations, from schemathesis' JUnit report) so CI tooling sees
 * that tests ran; a 5xx the API logged counts as a failure even if schemathesis missed it.
 */
function printClosingLine(reportDir: string, ok: boolean): void {
  const report = readdirSync(reportDir).find((name) => name.endsWith('.xml'));
  const xml = report ? readFileSync(join(reportDir, report), 'utf8') : '';
  const count = (name: string): number => Number(new RegExp(`<testsuites[^>]*\\b${name}="(\\d+)"`).exec(xml)?.[1] ?? 0);
  const failed = count('failures') + count('errors') + (ok ? 0 : 1);
  const passed = Math.max(0, count('tests') - count('failures') - count('errors') - count('skipped'));
  console.log(`fuzz: ${passed} passed, ${failed} failed, ${count('skipped')} skipped`);
}

async function main(): Promise<number> {
  const started = Date.now();
  mkdirSync(join(root, 'data'), { recursive: true });
  const reportDir = join(root, 'data', 'fuzz-report', String(started));
  mkdirSync(reportDir, { recursive: true });
  const logPath = join(reportDir, 'schemathesis.log');
  const stack = await getStack();
  try {
    await createAccount(stack, ACCOUNT_ID, { salesSyncEnabled: false });
    const args = [
      '--config-file',
      join(__dirname, 'schemathesis.toml'),
      'run',
      `${stack.api.url}/v1/openapi.json`,
      '--url',
      stack.api.url,
      '--header',
      `Authorization: Bearer ${API_TOKEN}`,
      '--checks',
      'not_a_server_error',
      '--mode',
      'all',
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      process.env.FUZZ_MAX_EXAMPLES ?? '30',
      '--max-time',
      process.env.FUZZ_MAX_TIME ?? '60',
      '--request-timeout',
      '10',
      '--seed',
      process.env.FUZZ_SEED ?? String(Math.floor(Math.random() * 2 ** 31)),
      '--generation-database',
      'none',
      '--no-color',
      '--report',
      'junit',
      '--report-dir',
      reportDir,
    ];
    console.log(`[fuzz] stack up in ${((Date.now() - started) / 1000).toFixed(1)} s; schemathesis ${args.join(' ')}`);
    console.log(`[fuzz] schemathesis output: ${logPath}`);
    const code = await run(SCHEMATHESIS, args, { ...process.env, FUZZ_ACCOUNT_ID: ACCOUNT_ID }, logPath);
    if (code !== 0) console.error(readFileSync(logPath, 'utf8').split('\n').slice(-60).join('\n'));
    const failed = stack.logs().includes('"msg":"request failed"');
    if (failed) console.error('[fuzz] the API logged a failed request (a 500): see the lines above');
    console.log(`[fuzz] done in ${((Date.now() - started) / 1000).toFixed(1)} s, schemathesis exit code ${code}`);
    printClosingLine(reportDir, code === 0 && !failed);
    return code === 0 && !failed ? 0 : 1;
  } finally {
    await stopStack();
    await stopTestDatabases();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
