/** Configuration defaults that operations depend on. */
import { strict as assert } from 'node:assert';
import { ConfigError, loadConfig, requireDatabaseUrl } from '../platform/config';

describe('configuration', () => {
  it('caps the worker’s workflow cache at 500 by default, so its memory does not grow with waiting orders', () => {
    assert.equal(loadConfig({}).worker.maxCachedWorkflows, 500);
    assert.equal(loadConfig({ SALES_SYNC_MAX_CACHED_WORKFLOWS: '2000' }).worker.maxCachedWorkflows, 2000);
    assert.throws(() => loadConfig({ SALES_SYNC_MAX_CACHED_WORKFLOWS: 'lots' }), ConfigError);
    assert.throws(() => loadConfig({ SALES_SYNC_MAX_CACHED_WORKFLOWS: '-1' }), ConfigError);
  });

  it('reads DATABASE_URL, which the standalone worker and API require, and the embedded PostgreSQL port (5433)', () => {
    const none = loadConfig({});
    assert.deepEqual(none.database, { url: undefined, embeddedPort: 5433 });
    assert.throws(
      () => requireDatabaseUrl(none, 'worker'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /DATABASE_URL is required for the worker/);
        return true;
      },
    );
    const url = 'postgres://sales_sync:secret@db:5432/sales_sync';
    const set = loadConfig({ DATABASE_URL: url, SALES_SYNC_POSTGRES_PORT: '5499' });
    assert.equal(requireDatabaseUrl(set, 'API'), url);
    assert.equal(set.database.embeddedPort, 5499);
    assert.equal(loadConfig({ DATABASE_URL: '  ' }).database.url, undefined);
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x@y/z' }), /DATABASE_URL/);
    assert.throws(() => loadConfig({ SALES_SYNC_POSTGRES_PORT: 'x' }), ConfigError);
  });
});
