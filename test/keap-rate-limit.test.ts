/**
 * Throttling done right: under a Keap limit of 10 requests/s, a burst of calls through our client
 * paces itself from Keap's headers and is (almost) never answered 429; without the limiter, the
 * same burst is (the control that shows the test can fail).
 */
import { strict as assert } from 'node:assert';
import { KeapClient } from '../keap/client';
import { retryDelayFromHeaders } from '../keap/errors';
import { timeUnitMs } from '../keap/rate-headers';
import { KeapRateLimiter } from '../keap/rate-limiter';
import { startKeapSandbox } from '../keap-sandbox';
import type { KeapSandbox } from '../keap-sandbox';

describe('Keap rate limiting', function () {
  this.timeout(30_000);
  let sandbox: KeapSandbox;

  beforeEach(async () => {
    sandbox = await startKeapSandbox({ port: 0, throttle: '10/s' });
  });
  afterEach(() => sandbox.close());

  async function burst(
    client: KeapClient,
    calls: number,
  ): Promise<{ ok: number; throttled: number; elapsedMs: number }> {
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: calls }, () => client.findTagByName('x')));
    return {
      ok: results.filter((r) => r.status === 'fulfilled').length,
      throttled: sandbox.stats().throttled.total,
      elapsedMs: Date.now() - started,
    };
  }

  it('paces a burst of 40 calls under 10/s from the headers: no 429, never faster than the limit', async () => {
    // Starts believing 50/s: the first response's headers teach it Keap's real 10/s.
    const limiter = new KeapRateLimiter({ initialPerSecond: 50 });
    const client = new KeapClient(
      { baseUrl: sandbox.url, auth: { type: 'apiKey', apiKey: sandbox.apiKey } },
      { limiter },
    );
    await client.findTagByName('warm-up');
    const { ok, throttled, elapsedMs } = await burst(client, 40);
    assert.equal(ok, 40);
    assert.equal(throttled, 0);
    assert.ok(limiter.perSecond <= 10, `learned ${limiter.perSecond}/s`);
    // 40 calls at ≤ 10/s cannot finish in under ~3.8 s (a lower bound: it holds however loaded the machine is).
    assert.ok(elapsedMs >= 3_500, `took ${elapsedMs} ms`);
  });

  it('without the limiter the same burst is throttled (control)', async () => {
    const client = new KeapClient({ baseUrl: sandbox.url, auth: { type: 'apiKey', apiKey: sandbox.apiKey } });
    const { throttled } = await burst(client, 40);
    assert.ok(throttled > 0);
  });

  it('pauses for the window when Keap reports nothing available, and after a 429', () => {
    let now = 1_000_000;
    const limiter = new KeapRateLimiter({ initialPerSecond: 10, now: () => now });
    limiter.observe(
      200,
      new Headers({
        'x-keap-product-throttle-limit': '240',
        'x-keap-product-throttle-interval': '1',
        'x-keap-product-throttle-time-unit': 'minute',
        'x-keap-product-throttle-available': '0',
      }),
    );
    assert.ok(Math.abs(limiter.perSecond - (240 * 0.95) / 60) < 1e-9);
    const waits: number[] = [];
    const paced = new KeapRateLimiter({
      initialPerSecond: 10,
      now: () => now,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    paced.observe(429, new Headers(), 2_000);
    void paced.acquire();
    assert.deepEqual(waits, [2_000]);
    now += 5_000;
    paced.observe(
      200,
      new Headers({ 'x-keap-product-quota-available': '0', 'x-keap-product-quota-expiry-time': String(now + 60_000) }),
    );
    void paced.acquire();
    assert.equal(waits[1], 60_000);
  });
});

describe("Keap's header time units (one parser for the 429 wait and the pacing)", () => {
  it('reads singular and plural units in any case, and nothing else', () => {
    const cases: [string | null, number | undefined][] = [
      ['second', 1_000],
      ['Seconds', 1_000],
      ['minute', 60_000],
      ['MINUTES', 60_000],
      ['hour', 3_600_000],
      ['hours', 3_600_000],
      ['Day', 86_400_000],
      ['days', 86_400_000],
      [null, undefined],
      ['', undefined],
      ['fortnight', undefined],
      ['ms', undefined],
      ['secondss', undefined],
      // Not a unit, though plain objects have such a key.
      ['constructor', undefined],
    ];
    for (const [unit, ms] of cases) assert.equal(timeUnitMs(unit), ms, `unit ${unit}`);
  });

  it('gives the 429 wait and the limiter the same unit', () => {
    const throttle = (unit: string) =>
      new Headers({
        'x-keap-product-throttle-limit': '10',
        'x-keap-product-throttle-interval': '2',
        'x-keap-product-throttle-time-unit': unit,
        'x-keap-product-throttle-available': '0',
      });
    for (const unit of ['Seconds', 'minute', 'HOURS']) {
      const windowMs = 2 * (timeUnitMs(unit) ?? Number.NaN);
      assert.equal(retryDelayFromHeaders(throttle(unit)), windowMs, `429 wait, unit ${unit}`);
      const limiter = new KeapRateLimiter({ initialPerSecond: 10, now: () => 0 });
      limiter.observe(200, throttle(unit));
      assert.ok(Math.abs(limiter.perSecond - (10 * 0.95 * 1000) / windowMs) < 1e-9, `pacing, unit ${unit}`);
    }
  });
});
