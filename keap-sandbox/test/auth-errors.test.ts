/**
 * The Keap sandbox's authentication and errors: 401 without a valid key, configured OAuth bearer tokens,
 * and Keap's error body for unknown routes (404), wrong methods (405) and malformed JSON (400).
 */
import { strict as assert } from 'node:assert';
import { assertKeapError, type ContactBody, type Listing, useSandbox } from './support';

describe('Keap sandbox', function () {
  this.timeout(10_000);
  const { call } = useSandbox();

  describe('auth and errors', () => {
    it('answers 401 with a Keap Error body without a valid key', async () => {
      assertKeapError(await call('GET', '/rest/v2/contacts', undefined, { key: null }), 401);
      assertKeapError(await call('GET', '/rest/v2/contacts', undefined, { key: 'wrong' }), 401);
    });

    it('accepts a configured OAuth bearer token', async () => {
      const res = await call<Listing>('GET', '/rest/v2/tags', undefined, {
        key: null,
        headers: { Authorization: 'Bearer oauth-token' },
      });
      assert.equal(res.status, 200);
    });

    it('answers 404 for unknown routes, 405 for wrong methods and 400 for malformed JSON', async () => {
      assertKeapError(await call('GET', '/rest/v2/nothing-here'), 404);
      assertKeapError(await call('GET', '/../not-crm', undefined), 404);
      const wrongMethod = await call('PUT', '/rest/v2/contacts');
      assertKeapError(wrongMethod, 405);
      assert.match(wrongMethod.headers.get('allow') ?? '', /GET/);
      assertKeapError(
        await call<ContactBody>('POST', '/rest/v2/contacts', undefined, { raw: '{"given_name":' }),
        400,
        /Malformed JSON/,
      );
      assertKeapError(await call('GET', '/rest/v2/orders/999'), 404);
    });
  });
});
