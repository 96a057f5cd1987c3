/**
 * Throttling done right, across processes: under a Keap limit of 10 requests/s, calls through our
 * client pace themselves from Keap's headers and are never answered 429, also when three worker
 * processes share one Keap key (their pacing lives in the database, not in any one process). The
 * controls show the tests can fail: no limiter, or three limiters that do not share their state.
 */
import { strict as assert } from 'node:assert';
import { RESERVE_AHEAD_MS, SharedKeapRateLimiter } from '../activities/keap-rate-limit';
import { KeapClient } from '../keap/client';
import { KeapApiError, retryDelayFromHeaders } from '../keap/errors';
import { paceFromResponse } from '../keap/pacing';
import { timeUnitMs } from '../keap/rate-headers';
import { startKeapSandbox } from '../keap-sandbox';
import type { KeapSandbox } from '../keap-sandbox';
import type { Database } from '../platform/database';
import { sharedTestDatabase, testDatabase } from './support/database';

describe('Keap rate limiting', function () {
  this.timeout(60_000);
  let sandbox: KeapSandbox;

  beforeEach(async () => {
    sandbox = await startKeapSandbox({ port: 0, throttle: '10/s' });
  });
  afterEach(() => sandbox.close());

  function keapClient(limiter?: SharedKeapRateLimiter): KeapClient {
    return new KeapClient({ baseUrl: sandbox.url, auth: { type: 'apiKey', apiKey: sandbox.apiKey } }, { limiter });
  }

  /** A lookup, tried again when the limiter says the app is at capacity (as Temporal retries an attempt). */
  async function lookup(client: KeapClient): Promise<unknown> {
    for (;;) {
      try {
        return await client.findTagByName('x');
      } catch (error) {
        if (!(error instanceof KeapApiError) || error.status !== undefined || error.kind !== 'rate_limited')
          throw error;
        await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs));
      }
    }
  }

  /** `calls` lookups spread over the clients at once; what Keap said and how long it took. */
  async function burst(
    clients: KeapClient[],
    calls: number,
  ): Promise<{ ok: number; throttled: number; elapsedMs: number }> {
    const started = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: calls }, (_, i) => lookup(clients[i % clients.length]!)),
    );
    return {
      ok: results.filter((r) => r.status === 'fulfilled').length,
      throttled: sandbox.stats().throttled.total,
      elapsedMs: Date.now() - started,
    };
  }

  /** A worker process's view: its own pool on the database, its own limiter object. */
  function processLimiter(db: Database, perSecond = 50): SharedKeapRateLimiter {
    return new SharedKeapRateLimiter(db, 'key:test@sandbox', perSecond);
  }

  it('paces a burst of 40 calls under 10/s from the headers: no 429, never faster than the limit', async () => {
    // Starts believing 50/s: the first response's headers teach it Keap's real 10/s.
    const client = keapClient(processLimiter(await testDatabase()));
    await client.findTagByName('warm-up');
    const { ok, throttled, elapsedMs } = await burst([client], 40);
    // Fixed windows (as Keap's) can still see a call or two more when a loaded machine sends late
    // calls together with punctual ones; pacing keeps it to that.
    assert.equal(ok + throttled, 40);
    assert.ok(throttled <= 1, `${throttled} calls answered 429`);
    // 40 calls at ≤ 10/s cannot finish in under ~3.8 s (a lower bound: it holds however loaded the machine is).
    assert.ok(elapsedMs >= 3_500, `took ${elapsedMs} ms`);
  });

  it('without the limiter the same burst is throttled (control)', async () => {
    const { throttled } = await burst([keapClient()], 40);
    assert.ok(throttled >= 10, `only ${throttled} calls answered 429`);
  });

  it("three worker processes on one Keap key share its 10/s: 60 calls, no 429, at the key's pace", async () => {
    const workers = (await sharedTestDatabase(3)).map((db) => keapClient(processLimiter(db, 10)));
    const { ok, throttled, elapsedMs } = await burst(workers, 60);
    assert.equal(ok + throttled, 60);
    assert.ok(throttled <= 2, `${throttled} calls answered 429`);
    assert.ok(elapsedMs >= 5_500, `took ${elapsedMs} ms`);
  });

  it('three limiters that do not share their state send three times the rate and meet 429s (control)', async () => {
    const workers = await Promise.all([1, 2, 3].map(async () => keapClient(processLimiter(await testDatabase(), 10))));
    const { throttled } = await burst(workers, 60);
    assert.ok(throttled >= 10, `only ${throttled} calls answered 429`);
  });

  it('reads a pause for the window when Keap reports nothing available, after a 429, and for a spent quota', () => {
    const now = 1_000_000;
    const window = paceFromResponse(
      200,
      new Headers({
        'x-keap-product-throttle-limit': '240',
        'x-keap-product-throttle-interval': '1',
        'x-keap-product-throttle-time-unit': 'minute',
        'x-keap-product-throttle-available': '0',
      }),
      undefined,
      now,
      0.95,
    );
    assert.ok(Math.abs(1000 / (window.spacingMs ?? 0) - (240 * 0.95) / 60) < 1e-9);
    assert.equal(window.pauseUntil, now + 60_000);
    assert.equal(paceFromResponse(429, new Headers(), 2_000, now, 0.95).pauseUntil, now + 2_000);
    const quota = new Headers({
      'x-keap-product-quota-available': '0',
      'x-keap-product-quota-expiry-time': String(now + 60_000),
    });
    assert.equal(paceFromResponse(200, quota, undefined, now, 0.95).pauseUntil, now + 60_000);
  });

  it('starts no new work beyond a few seconds ahead: a deeper backlog ends the attempt at once with a time to come back', async () => {
    const db = await testDatabase();
    const limiter = processLimiter(db, 1);
    const slotAhead = async () =>
      (
        await db.query<{ ms: number }>(
          'SELECT next_slot_ms - (extract(epoch FROM now()) * 1000)::float8 AS ms FROM keap_rate_limits',
        )
      )[0]!.ms;
    // At about 1/s, calls take the slots of the next few seconds (each then sleeps until its own),
    // until one finds the queue too long: that one is refused at once.
    const taken: Promise<void>[] = [];
    let refused: unknown;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      const call = limiter.acquire();
      const outcome = await Promise.race([
        call.then(
          () => 'slept',
          (error: unknown) => error,
        ),
        new Promise((resolve) => setTimeout(() => resolve('waiting'), 150)),
      ]);
      if (outcome instanceof Error) refused = outcome;
      else taken.push(call);
    }
    assert.ok(refused instanceof KeapApiError && refused.kind === 'rate_limited' && refused.retryable);
    assert.ok(
      (refused.retryAfterMs ?? -1) >= 0 && (refused.retryAfterMs ?? 0) <= 10_000,
      `retry in ${refused.retryAfterMs}`,
    );
    const seconds = Math.ceil(RESERVE_AHEAD_MS / 1000);
    assert.ok(taken.length >= seconds && taken.length <= seconds + 1, `${taken.length} calls took slots`);
    const queued = await slotAhead();
    await assert.rejects(limiter.acquire(), KeapApiError);
    assert.ok(Math.abs((await slotAhead()) - queued) < 300, 'a refused call takes no slot');
    // A call of a sale already under way takes its slot all the same, to finish what it started.
    const continuing = limiter.acquire(undefined, true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok((await slotAhead()) > queued + 500, 'a continuing call queues behind the others');
    await Promise.all([...taken, continuing]);
  });

  it('holds every process back after a 429 one of them saw', async () => {
    const [one, two] = await sharedTestDatabase(2);
    const first = processLimiter(one!, 10);
    const second = processLimiter(two!, 10);
    await first.acquire();
    first.observe(429, new Headers(), 1_500);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the pause is written in the background
    const started = Date.now();
    await second.acquire();
    assert.ok(Date.now() - started >= 1_200, `waited ${Date.now() - started} ms`);
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
      const { spacingMs } = paceFromResponse(200, throttle(unit), undefined, 0, 0.95);
      assert.ok(Math.abs(1000 / (spacingMs ?? 0) - (10 * 0.95 * 1000) / windowMs) < 1e-9, `pacing, unit ${unit}`);
    }
  });
});
