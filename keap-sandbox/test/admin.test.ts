/**
 * The Keap sandbox's admin API over HTTP (/__sandbox/): faults, stats, latency and reset.
 */
import { strict as assert } from 'node:assert';
import { assertKeapError, type ContactBody, type Listing, useSandbox } from './support';

describe('Keap sandbox', function () {
  this.timeout(10_000);
  const { sandbox, call, admin, contact } = useSandbox();

  describe('admin API', () => {
    it('injects, lists and clears faults over HTTP', async () => {
      const created = await admin('POST', '/faults', { operation: 'createContact', mode: 'error-5xx', count: 3 });
      assert.equal(created.status, 201);
      const rule = (await created.json()) as { id: number; remaining: number; status: number };
      assert.equal(rule.remaining, 3);
      assert.equal(rule.status, 500);
      const listed = (await (await admin('GET', '/faults')).json()) as { faults: unknown[] };
      assert.equal(listed.faults.length, 1);
      assertKeapError(await call('POST', '/rest/v2/contacts', { email_addresses: [{ email: 'x@y.io' }] }), 500);
      assert.equal((await admin('POST', '/faults', { operation: 'createContact', mode: 'boom' })).status, 400);
      assert.equal((await admin('DELETE', '/faults')).status, 204);
      assert.deepEqual(((await (await admin('GET', '/faults')).json()) as { faults: unknown[] }).faults, []);
      assert.equal(
        (await call<ContactBody>('POST', '/rest/v2/contacts', { email_addresses: [{ email: 'x@y.io' }] })).status,
        201,
      );
    });

    it('reports stats, sets latency and resets', async () => {
      await contact();
      await call<Listing>('GET', '/rest/v2/contacts');
      await call<Listing>('GET', '/rest/v2/contacts');
      const stats = (await (await admin('GET', '/stats')).json()) as {
        calls: Record<string, number>;
        responses: Record<string, number>;
      };
      assert.equal(stats.calls.listContacts, 2);
      assert.equal(stats.calls.createContact, 1);
      assert.equal(stats.responses['201'], 1);

      const latency = await admin('POST', '/latency', { latencyMs: 5, operation: 'getContact' });
      assert.deepEqual(await latency.json(), { latencyMs: 0, operations: { getContact: 5 } });
      const info = (await (await admin('GET', '/')).json()) as { operations: { operationId: string }[] };
      assert.ok(info.operations.some((o) => o.operationId === 'createPaymentForAnOrder'));

      assert.equal((await admin('POST', '/reset')).status, 204);
      assert.deepEqual((await call<Listing>('GET', '/rest/v2/contacts')).body.contacts, []);
      assert.equal(sandbox().stats().calls.createContact, undefined);
      assert.equal((await admin('GET', '/nope')).status, 404);
    });
  });
});
