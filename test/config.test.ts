/** Configuration defaults that operations depend on. */
import { strict as assert } from 'node:assert';
import { ConfigError, loadConfig } from '../platform/config';

describe('configuration', () => {
  it('caps the worker’s workflow cache at 500 by default, so its memory does not grow with waiting orders', () => {
    assert.equal(loadConfig({}).worker.maxCachedWorkflows, 500);
    assert.equal(loadConfig({ SALES_SYNC_MAX_CACHED_WORKFLOWS: '2000' }).worker.maxCachedWorkflows, 2000);
    assert.throws(() => loadConfig({ SALES_SYNC_MAX_CACHED_WORKFLOWS: 'lots' }), ConfigError);
    assert.throws(() => loadConfig({ SALES_SYNC_MAX_CACHED_WORKFLOWS: '-1' }), ConfigError);
  });
});
