/**
 * The Keap sandbox's injected faults (commit-then-lose, error-5xx, throttle-429, latency, connection-reset),
 * how our Keap client sees a reset connection, and fault-spec validation.
 */
import { strict as assert } from 'node:assert';
import { KeapClient } from '../../keap/client';
import { KeapApiError } from '../../keap/errors';
import type { SandboxExchange } from '../index';
import { assertKeapError, f, KEY, type Listing, useSandbox } from './support';

describe('Keap sandbox', function () {
  this.timeout(10_000);
  const { sandbox, call, contact, product, orderKeyField, order } = useSandbox();

  describe('faults', () => {
    it('commit-then-lose performs the write, then drops the connection', async () => {
      const [contactId, productId, field] = await Promise.all([contact(), product(), orderKeyField()]);
      sandbox().faults.inject({ operation: 'createOrder', mode: 'commit-then-lose' });
      await assert.rejects(order(contactId, productId, 1, 5, { custom_fields: [{ id: field.id, content: 'k-lost' }] }));
      const found = await call<Listing>('GET', `/rest/v2/orders?${f(`${field.field_name}==k-lost`)}`);
      assert.equal(found.body.orders.length, 1, 'the order was committed although the response was lost');
      const stats = sandbox().stats();
      assert.equal(stats.faultsInjected.createOrder, 1);
      assert.equal(stats.lostResponses, 1);
      // The rule was used up: the next call is normal.
      assert.equal((await order(contactId, productId)).status, 201);
    });

    it('error-5xx answers a Keap error and commits nothing', async () => {
      const [contactId, productId] = await Promise.all([contact(), product()]);
      sandbox().faults.inject({ operation: 'createOrder', mode: 'error-5xx', status: 503, count: 2 });
      assertKeapError(await order(contactId, productId), 503);
      assertKeapError(await order(contactId, productId), 503);
      assert.equal((await call<Listing>('GET', '/rest/v2/orders')).body.orders.length, 0);
      assert.equal((await order(contactId, productId)).status, 201);
    });

    it('throttle-429 answers 429 with rate headers and Retry-After and commits nothing', async () => {
      const contactId = await contact();
      sandbox().faults.inject({ operation: 'createTag', mode: 'throttle-429', retryAfterSeconds: 7 });
      const res = await call('POST', '/rest/v2/tags', { name: 'T' });
      assert.equal(res.status, 429);
      assert.equal(res.body.code, 429);
      assert.equal(res.headers.get('retry-after'), '7');
      assert.ok(res.headers.get('x-keap-product-throttle-available'));
      assert.equal((await call<Listing>('GET', '/rest/v2/tags')).body.tags.length, 0);
      assert.equal(sandbox().stats().throttled.injected, 1);
      assert.ok(contactId);
    });

    it('latency delays the chosen operation only', async () => {
      sandbox().faults.inject({ operation: 'listTags', mode: 'latency', delayMs: 150 });
      const t0 = Date.now();
      assert.equal((await call<Listing>('GET', '/rest/v2/tags')).status, 200);
      assert.ok(Date.now() - t0 >= 140, 'delayed');
      const t1 = Date.now();
      await call<Listing>('GET', '/rest/v2/tags');
      assert.ok(Date.now() - t1 < 140, 'only once');
    });

    it('connection-reset commits nothing, resets the TCP connection, and our client retries it as a network error', async () => {
      const [contactId, productId] = await Promise.all([contact(), product()]);
      const seen: SandboxExchange[] = [];
      const unsubscribe = sandbox().onExchange((ex) => seen.push(ex));
      sandbox().faults.inject({ operation: 'createOrder', mode: 'connection-reset' });
      const error = await order(contactId, productId).then(
        () => assert.fail('expected the connection to be reset'),
        (err: unknown) => err,
      );
      // A TCP RST, not a clean close: undici reports ECONNRESET as the cause.
      assert.equal((error as { cause?: { code?: string } }).cause?.code, 'ECONNRESET');
      assert.equal((await call<Listing>('GET', '/rest/v2/orders')).body.orders.length, 0, 'nothing committed');

      sandbox().faults.inject({ operation: 'createTag', mode: 'connection-reset' });
      const keap = new KeapClient({ baseUrl: sandbox().url, auth: { type: 'apiKey', apiKey: KEY } });
      const failure = await keap.createTag('Reset').then(
        () => assert.fail('expected a network error'),
        (err: unknown) => err,
      );
      assert.ok(failure instanceof KeapApiError);
      assert.equal(failure.kind, 'network');
      assert.equal(failure.retryable, true);
      assert.equal((await keap.createTag('Reset')).name, 'Reset', 'the retry succeeds: nothing was committed before');
      unsubscribe();

      const stats = sandbox().stats();
      assert.equal(stats.faultsByMode['connection-reset'], 2);
      assert.deepEqual(stats.faultsByOperation, {
        createOrder: { 'connection-reset': 1 },
        createTag: { 'connection-reset': 1 },
      });
      assert.equal(stats.lostResponses, 0);
      assert.deepEqual(
        seen.filter((ex) => ex.fault).map((ex) => [ex.operationId, ex.status, ex.fault, ex.faultSource]),
        [
          ['createOrder', 0, 'connection-reset', 'rule'],
          ['createTag', 0, 'connection-reset', 'rule'],
        ],
      );
    });

    it('rejects invalid fault specs', () => {
      assert.throws(() => sandbox().faults.inject({ operation: 'nope', mode: 'error-5xx' }), /operation/);
      assert.throws(() => sandbox().faults.inject({ operation: 'createOrder', mode: 'latency' }), /delayMs/);
    });
  });
});
