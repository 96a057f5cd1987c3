/**
 * The Keap sandbox's contacts: create, find by email and ids, PATCH with update_mask, upsert by email.
 */
import { strict as assert } from 'node:assert';
import { assertKeapError, type ContactBody, f, type Listing, useSandbox } from './support';

describe('Keap sandbox', function () {
  this.timeout(10_000);
  const { call, contact } = useSandbox();

  describe('contacts', () => {
    it('creates a contact, finds it by email (case-insensitively) and by ids', async () => {
      const id = await contact('Grace@Example.com');
      assert.match(id, /^\d+$/);
      const found = await call<Listing>('GET', `/rest/v2/contacts?${f('email==grace@example.com')}`);
      assert.equal(found.status, 200);
      assert.deepEqual(
        found.body.contacts.map((c: { id: string }) => c.id),
        [id],
      );
      assert.equal(found.body.contacts[0]?.email_addresses[0]?.email, 'Grace@Example.com');
      const none = await call<Listing>('GET', `/rest/v2/contacts?${f('email==nobody@example.com')}`);
      assert.deepEqual(none.body.contacts, []);
      const byIds = await call<Listing>('GET', `/rest/v2/contacts?${f(`ids==${id},999`)}`);
      assert.equal(byIds.body.contacts.length, 1);
      assertKeapError(await call('GET', `/rest/v2/contacts?${f('shoe_size==42')}`), 400, /Invalid filter field/);
    });

    it('requires an email, phone or address, and a valid email', async () => {
      assertKeapError(await call('POST', '/rest/v2/contacts', { given_name: 'Nobody' }), 400, /at least one/);
      assertKeapError(
        await call<ContactBody>('POST', '/rest/v2/contacts', { email_addresses: [{ email: 'not-an-email' }] }),
        400,
        /Invalid email/,
      );
    });

    it('PATCH changes only the fields in update_mask, replacing arrays wholesale', async () => {
      const id = await contact();
      const res = await call<ContactBody>(
        'PATCH',
        `/rest/v2/contacts/${id}?update_mask=given_name&update_mask=phone_numbers`,
        {
          given_name: 'Augusta',
          family_name: 'IGNORED',
          phone_numbers: [{ number: '+1 555 0100', field: 'PHONE1' }],
        },
      );
      assert.equal(res.status, 200);
      assert.equal(res.body.given_name, 'Augusta');
      assert.equal(res.body.family_name, 'Lovelace');
      assert.deepEqual(res.body.phone_numbers, [{ number: '+1 555 0100', field: 'PHONE1' }]);

      const replaced = await call<ContactBody>('PATCH', `/rest/v2/contacts/${id}?update_mask=email_addresses`, {
        email_addresses: [{ email: 'new@example.com', field: 'EMAIL2' }],
      });
      assert.deepEqual(
        replaced.body.email_addresses.map((e: { email: string; field: string }) => [e.email, e.field]),
        [['new@example.com', 'EMAIL2']],
      );
      assert.equal(
        (await call<Listing>('GET', `/rest/v2/contacts?${f('email==ada@example.com')}`)).body.contacts.length,
        0,
      );
      assert.equal(
        (await call<Listing>('GET', `/rest/v2/contacts?${f('email==new@example.com')}`)).body.contacts.length,
        1,
      );

      // Without a mask, exactly the fields present change.
      const plain = await call<ContactBody>('PATCH', `/rest/v2/contacts/${id}`, { family_name: 'King' });
      assert.equal(plain.body.given_name, 'Augusta');
      assert.equal(plain.body.family_name, 'King');
      assertKeapError(await call('PATCH', `/rest/v2/contacts/${id}?update_mask=shoe_size`, {}), 400, /update_mask/);
    });

    it('upserts with duplicate_option=Email (200, same id, unsent fields removed)', async () => {
      const id = await contact();
      const res = await call<ContactBody>('POST', '/rest/v2/contacts?duplicate_option=Email', {
        given_name: 'Ada',
        email_addresses: [{ email: 'ADA@example.com' }],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.id, id);
      assert.equal(res.body.family_name, undefined);
    });
  });
});
