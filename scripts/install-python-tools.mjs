// Installs the pinned Python tools the project runs (schemathesis, for `npm run test:fuzz`) into a
// project-local virtualenv, tools/python, from test/fuzz/requirements.txt (every version pinned).
// Idempotent: skips when the venv already holds exactly those pins. Nothing is installed at run time
// from anywhere else; `npm run test:fuzz` calls this first.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requirements = join(root, 'test', 'fuzz', 'requirements.txt');
const target = join(root, 'tools', 'python');
const stamp = join(target, 'requirements.installed.txt');
const wanted = readFileSync(requirements, 'utf8');
const SCHEMATHESIS = join(target, 'bin', 'schemathesis');

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted && existsSync(SCHEMATHESIS)) {
  console.log(`[install-python-tools] up to date in ${target}`);
  process.exit(0);
}

rmSync(target, { recursive: true, force: true });
const python = process.env.PYTHON ?? 'python3';
console.log(`[install-python-tools] creating ${target} and installing test/fuzz/requirements.txt`);
execFileSync(python, ['-m', 'venv', target], { stdio: 'inherit' });
execFileSync(
  join(target, 'bin', 'python'),
  ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '--no-deps', '-r', requirements],
  { stdio: 'inherit' },
);
if (!existsSync(SCHEMATHESIS)) throw new Error(`[install-python-tools] expected ${SCHEMATHESIS} after pip install`);
writeFileSync(stamp, wanted);
console.log('[install-python-tools] done');
