/**
 * The Keap sandbox's seeded chaos: over HTTP on a running sandbox (determinism, stats, rules winning,
 * the admin endpoints), and the ChaosProfile itself (its generator, rates and CLI flags).
 */
import { strict as assert } from 'node:assert';
import { FAULT_MODES, type FaultMode, type SandboxExchange } from '../index';
import { ChaosProfile, chaosFromFlags, mulberry32 } from '../chaos';
import { assertKeapError, type Listing, useSandbox } from './support';

describe('Keap sandbox', function () {
  this.timeout(10_000);
  const { sandbox, call, admin } = useSandbox();

  describe('chaos', () => {
    const EVERY_MODE = {
      'error-5xx': 0.1,
      'throttle-429': 0.1,
      'connection-reset': 0.1,
      'commit-then-lose': 0.1,
      latency: 0.1,
    };

    /** 200 calls alternating a write and a read; returns the faults as seen by the sandbox, in order. */
    async function run(seed: number): Promise<{ faults: string[]; exchanges: SandboxExchange[] }> {
      sandbox().reset();
      sandbox().chaos.configure({ seed, rates: EVERY_MODE, latencyMs: { min: 0, max: 2 } });
      const exchanges: SandboxExchange[] = [];
      const unsubscribe = sandbox().onExchange((ex) => exchanges.push(ex));
      for (let i = 0; i < 100; i++) {
        await call('POST', '/rest/v2/tags', { name: `tag-${i}` }).catch(() => undefined);
        await call('GET', '/rest/v2/tags').catch(() => undefined);
      }
      unsubscribe();
      return { faults: exchanges.map((ex) => `${ex.operationId}:${ex.fault ?? '-'}`), exchanges };
    }

    it('gives the same faults for the same seed and request sequence, other faults for another seed', async () => {
      const first = await run(42);
      const stats = sandbox().stats();
      const status = sandbox().chaos.status();
      const again = await run(42);
      const other = await run(43);
      assert.equal(first.faults.length, 200);
      assert.deepEqual(again.faults, first.faults);
      assert.notDeepEqual(other.faults, first.faults);

      // Every mode fired; commit-then-lose only on writes (reads that draw it are served normally).
      const tally = (mode: FaultMode) => first.exchanges.filter((ex) => ex.fault === mode).length;
      for (const mode of FAULT_MODES) assert.ok(tally(mode) > 0, `${mode} fired`);
      assert.ok(first.exchanges.every((ex) => ex.fault !== 'commit-then-lose' || ex.method === 'POST'));
      assert.ok(status.counts.sparedReads > 0);
      assert.equal(status.counts.draws, 200);

      // The stats count exactly the faults the exchanges show, all from chaos.
      const injected = first.exchanges.filter((ex) => ex.fault).length;
      assert.equal(stats.faultsTotal, injected);
      assert.equal(status.counts.injected, injected);
      assert.deepEqual(stats.faultsBySource, { rule: 0, chaos: injected });
      for (const mode of FAULT_MODES) {
        assert.equal(stats.faultsByMode[mode], tally(mode), mode);
        assert.equal(status.counts.byMode[mode], tally(mode), mode);
      }
      assert.equal(stats.lostResponses, tally('commit-then-lose'));
      assert.equal(stats.throttled.injected, tally('throttle-429'));
      assert.equal(stats.calls.createTag, 100);
      assert.equal(stats.calls.listTags, 100);
      const sum = (r: Partial<Record<string, number>> = {}) =>
        Object.values(r).reduce((total: number, n) => total + (n ?? 0), 0);
      assert.equal(sum(stats.faultsByOperation.createTag) + sum(stats.faultsByOperation.listTags), injected);

      // Lost responses committed; resets, 5xx and 429 did not.
      const committed = first.exchanges.filter(
        (ex) => ex.method === 'POST' && (ex.status === 201 || ex.fault === 'commit-then-lose'),
      ).length;
      sandbox().chaos.clear();
      assert.equal((await call<Listing>('GET', '/rest/v2/tags?page_size=1000')).body.tags.length, committed);
    });

    it('answers chaos 429s like throttle-429: Keap quota headers, Retry-After, Keap body', async () => {
      sandbox().chaos.configure({ seed: 1, rates: { 'throttle-429': 1 }, retryAfterSeconds: 3 });
      const res = await call('GET', '/rest/v2/contacts');
      assert.equal(res.status, 429);
      assert.deepEqual(res.body, {
        code: 429,
        message: 'Quota Exceeded',
        status: 'Request Throttled',
        details: [{ domain: 'throttle' }],
      });
      assert.equal(res.headers.get('retry-after'), '3');
      assert.ok(res.headers.get('x-keap-product-throttle-available'));
      assert.ok(res.headers.get('x-keap-product-quota-limit'));
      assert.equal(sandbox().stats().throttled.injected, 1);
    });

    it('lets explicit rules win, covers only the chosen operations, and draws 5xx statuses from the list', async () => {
      sandbox().chaos.configure({ seed: 5, rates: { 'error-5xx': 1 }, operations: ['createTag'], statuses: [502] });
      sandbox().faults.inject({ operation: 'createTag', mode: 'error-5xx', status: 418 });
      assert.equal((await call('POST', '/rest/v2/tags', { name: 'a' })).status, 418);
      assertKeapError(await call('POST', '/rest/v2/tags', { name: 'a' }), 502);
      assert.equal((await call('GET', '/rest/v2/tags')).status, 200, 'listTags is not covered');
      const { counts } = sandbox().chaos.status();
      assert.equal(counts.draws, 2);
      assert.equal(counts.preempted, 1);
      assert.equal(counts.injected, 1);
      assert.deepEqual(sandbox().stats().faultsBySource, { rule: 1, chaos: 1 });
      assert.throws(() => sandbox().chaos.configure({ seed: 1, rates: { latency: 1.5 } }), /rates.latency/);
    });

    it('is configured, read and cleared over HTTP, with clear 400s for bad input', async () => {
      const bad: [unknown, RegExp][] = [
        [[1], /body must be a JSON object/],
        [{ rates: {} }, /seed must be an integer/],
        [{ seed: 1.5, rates: {} }, /seed must be an integer/],
        [{ seed: 1 }, /rates must be an object/],
        [{ seed: 1, rates: { 'error-5xx': 2 } }, /rates.error-5xx must be a probability/],
        [{ seed: 1, rates: { 'error-5xx': 0.6, latency: 0.6 } }, /sum to at most 1 \(they sum to 1.2\)/],
        [{ seed: 1, rates: { boom: 0.1 } }, /rates.boom is not a fault mode/],
        [{ seed: 1, rates: {}, operations: ['nope'] }, /operations .*unknown: "nope"/],
        [{ seed: 1, rates: {}, operations: [] }, /operations must be a non-empty array/],
        [{ seed: 1, rates: {}, latencyMs: { min: 5, max: 1 } }, /latencyMs.min/],
        [{ seed: 1, rates: {}, statuses: [404] }, /statuses/],
        [{ seed: 1, rates: {}, rate: 0.1 }, /unknown field 'rate'/],
      ];
      for (const [body, message] of bad) {
        const res = await admin('POST', '/chaos', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assertKeapError({ status: res.status, body: await res.json(), headers: res.headers }, 400, message);
      }
      assert.equal(((await admin('GET', '/chaos').then((r) => r.json())) as { enabled: boolean }).enabled, false);

      const created = await admin('POST', '/chaos', { seed: 9, rates: { 'error-5xx': 1 } });
      assert.equal(created.status, 200);
      const status = (await created.json()) as {
        enabled: boolean;
        config: { operations: string[]; statuses: number[] };
      };
      assert.equal(status.enabled, true);
      assert.ok(status.config.operations.includes('createPaymentForAnOrder'), 'every operation by default');
      assert.deepEqual(status.config.statuses, [500, 502, 503, 504]);
      assert.ok((await call('GET', '/rest/v2/contacts')).status >= 500);
      const read = (await (await admin('GET', '/chaos')).json()) as { counts: { draws: number; injected: number } };
      assert.deepEqual([read.counts.draws, read.counts.injected], [1, 1]);
      const stats = (await (await admin('GET', '/stats')).json()) as {
        faultsTotal: number;
        faultsByOperation: Record<string, Record<string, number>>;
      };
      assert.equal(stats.faultsTotal, 1);
      assert.deepEqual(stats.faultsByOperation, { listContacts: { 'error-5xx': 1 } });

      assert.equal((await admin('DELETE', '/chaos')).status, 204);
      assert.equal((await call('GET', '/rest/v2/contacts')).status, 200);
      await admin('POST', '/chaos', { seed: 9, rates: { 'error-5xx': 1 } });
      assert.equal((await admin('POST', '/reset')).status, 204);
      assert.equal(((await (await admin('GET', '/chaos')).json()) as { enabled: boolean }).enabled, false);
      assert.equal((await call('GET', '/rest/v2/contacts')).status, 200, 'reset turned chaos off');
    });
  });
});

describe('Keap sandbox chaos profile', () => {
  it('mulberry32 is deterministic and uniform enough', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(
      Array.from({ length: 1000 }, () => b()),
      xs,
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
    assert.notDeepEqual(Array.from({ length: 10 }, mulberry32(8)), xs.slice(0, 10));
  });

  it('honours the rates (roughly) and spares reads from commit-then-lose', () => {
    const chaos = new ChaosProfile();
    const rates = {
      'error-5xx': 0.1,
      'throttle-429': 0.05,
      'connection-reset': 0.05,
      'commit-then-lose': 0.1,
      latency: 0.2,
    };
    chaos.configure({ seed: 2024, rates, latencyMs: { min: 10, max: 20 } });
    const n = 2000;
    const writes: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const fault = chaos.draw('createOrder', true);
      if (fault?.mode === 'latency') assert.ok(fault.delayMs >= 10 && fault.delayMs <= 20, `delay ${fault.delayMs}`);
      if (fault) chaos.applied('createOrder', fault.mode);
      writes[fault?.mode ?? 'none'] = (writes[fault?.mode ?? 'none'] ?? 0) + 1;
    }
    for (const [mode, p] of Object.entries(rates)) {
      const share = (writes[mode] ?? 0) / n;
      assert.ok(Math.abs(share - p) < 0.03, `${mode}: ${share} for ${p}`);
    }
    assert.ok(Math.abs((writes.none ?? 0) / n - 0.5) < 0.04);
    for (let i = 0; i < n; i++) assert.notEqual(chaos.draw('getOrder', false)?.mode, 'commit-then-lose');
    const { counts } = chaos.status();
    assert.equal(counts.draws, 2 * n);
    assert.ok(counts.sparedReads > 0.07 * n && counts.sparedReads < 0.13 * n, `spared ${counts.sparedReads}`);
    assert.equal(chaos.draw('nope', true), undefined, 'uncovered operations do not draw');
    assert.equal(chaos.status().counts.draws, 2 * n);
  });

  it('reads the CLI flags', () => {
    assert.equal(chaosFromFlags({}), undefined);
    const even = chaosFromFlags({ seed: '3', rate: '0.1' });
    assert.equal(even?.seed, 3);
    for (const mode of FAULT_MODES) assert.ok(Math.abs((even?.rates[mode] ?? 0) - 0.02) < 1e-12);
    const some = chaosFromFlags({ seed: '3', rate: '0.1', rates: 'error-5xx=0.3, latency=0' });
    assert.equal(some?.rates['error-5xx'], 0.3);
    assert.equal(some?.rates.latency, 0);
    assert.throws(() => chaosFromFlags({ seed: '3', rates: 'boom=0.1' }), /boom/);
    assert.throws(() => chaosFromFlags({ seed: '-1', rate: '0.1' }), /seed/);
    assert.throws(() => chaosFromFlags({ rates: 'error-5xx=0.7,latency=0.7' }), /sum/);
  });
});
