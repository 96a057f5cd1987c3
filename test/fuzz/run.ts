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
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAccount } from '../support/fixtures';
import { API_TOKEN, getStack, stopStack } from '../support/stack';

const root = join(__dirname, '..', '..');
const SCHEMATHESIS = join(root, 'tools', 'python', 'bin', 'schemathesis');
const ACCOUNT_ID = 'fuzz-account';

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    // Run in data/ (git-ignored): schemathesis keeps a .schemathesis/ cache in its working directory.
    const child = spawn(command, args, { stdio: 'inherit', env, cwd: join(root, 'data') });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  mkdirSync(join(root, 'data'), { recursive: true });
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
      join(root, 'data', 'fuzz-report'),
    ];
    console.log(`[fuzz] stack up in ${((Date.now() - started) / 1000).toFixed(1)} s; schemathesis ${args.join(' ')}`);
    const code = await run(SCHEMATHESIS, args, { ...process.env, FUZZ_ACCOUNT_ID: ACCOUNT_ID });
    const failed = stack.logs().includes('"msg":"request failed"');
    if (failed) console.error('[fuzz] the API logged a failed request (a 500): see the lines above');
    console.log(`[fuzz] done in ${((Date.now() - started) / 1000).toFixed(1)} s, schemathesis exit code ${code}`);
    return code === 0 && !failed ? 0 : 1;
  } finally {
    await stopStack();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
