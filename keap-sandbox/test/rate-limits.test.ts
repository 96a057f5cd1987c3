/**
 * The Keap sandbox's rate limits: throttle specs and presets, Keap's quota headers, 429s past the throttle
 * and the daily quota.
 */
import { strict as assert } from 'node:assert';
import { parseRateLimitSpec, startKeapSandbox } from '../index';
import { client, type Listing, type TagBody } from './support';

describe('Keap sandbox rate limits', function () {
  this.timeout(10_000);

  it('parses throttle specs and presets', () => {
    assert.deepEqual(parseRateLimitSpec('10/s'), { limit: 10, interval: 1, timeUnit: 'second' });
    assert.deepEqual(parseRateLimitSpec('240/min,30000/day,spike:10/s'), {
      limit: 240,
      interval: 1,
      timeUnit: 'minute',
      dailyQuota: 30000,
      spikeArrestPerSecond: 10,
    });
    assert.deepEqual(parseRateLimitSpec('api-key'), {
      limit: 240,
      timeUnit: 'minute',
      dailyQuota: 30000,
      spikeArrestPerSecond: 10,
    });
    assert.throws(() => parseRateLimitSpec('lots'), /Invalid rate limit/);
  });

  it('reports Keap headers on every response and answers 429 past the throttle', async () => {
    const sandbox = await startKeapSandbox({ throttle: '3/s' });
    const call = client(() => sandbox);
    try {
      const available: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await call<Listing>('GET', '/rest/v2/tags');
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-keap-product-throttle-limit'), '3');
        assert.equal(res.headers.get('x-keap-product-throttle-time-unit'), 'second');
        assert.equal(res.headers.get('x-keap-product-quota-time-unit'), 'day');
        assert.ok(Number(res.headers.get('x-keap-product-quota-expiry-time')) > Date.now());
        available.push(res.headers.get('x-keap-product-throttle-available') ?? '');
      }
      assert.deepEqual(available, ['2', '1', '0']);
      const limited = await call<TagBody>('POST', '/rest/v2/tags', { name: 'not written' });
      assert.equal(limited.status, 429);
      assert.deepEqual(limited.body, {
        code: 429,
        message: 'Quota Exceeded',
        status: 'Request Throttled',
        details: [{ domain: 'throttle' }],
      });
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.equal(limited.headers.get('x-keap-product-throttle-available'), '0');
      assert.equal(sandbox.stats().throttled.throttle, 1);
      assert.equal(sandbox.stats().calls.createTag, 1, 'throttled calls still count per operation');
      await new Promise((r) => setTimeout(r, 1050));
      assert.equal((await call<Listing>('GET', '/rest/v2/tags')).body.tags.length, 0, 'the 429 committed nothing');
    } finally {
      await sandbox.close();
    }
  });

  it('enforces a daily quota, reporting the seconds to midnight UTC', async () => {
    const sandbox = await startKeapSandbox({ throttle: { dailyQuota: 2 } });
    const call = client(() => sandbox);
    try {
      assert.equal((await call<Listing>('GET', '/rest/v2/tags')).headers.get('x-keap-product-quota-available'), '1');
      assert.equal((await call<Listing>('GET', '/rest/v2/tags')).status, 200);
      const limited = await call('GET', '/rest/v2/tags');
      assert.equal(limited.status, 429);
      assert.equal(limited.body.details?.[0]?.domain, 'quota');
      const retry = Number(limited.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 86_400);
      assert.equal(limited.headers.get('x-keap-product-throttle-limit'), '1000000000', 'unenforced limit');
    } finally {
      await sandbox.close();
    }
  });
});
