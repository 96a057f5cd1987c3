/**
 * The Keap sandbox's tags (create, find, apply) and contact notes.
 */
import { strict as assert } from 'node:assert';
import { assertKeapError, type ContactBody, f, type Listing, type TagBody, useSandbox } from './support';

describe('Keap sandbox', function () {
  this.timeout(10_000);
  const { call, contact } = useSandbox();

  describe('tags and notes', () => {
    it('creates, finds and applies tags', async () => {
      const contactId = await contact();
      const tag = await call<TagBody>('POST', '/rest/v2/tags', { name: 'Refunded', description: 'Order refunded' });
      assert.equal(tag.status, 201);
      assertKeapError(await call('POST', '/rest/v2/tags', { name: 'refunded' }), 409);
      assert.equal((await call<Listing>('GET', `/rest/v2/tags?${f('name==Refunded')}`)).body.tags.length, 1);
      const applied = await call<{ results: Record<string, string> }>(
        'POST',
        `/rest/v2/tags/${tag.body.id}/contacts:applyTags`,
        {
          contact_ids: [contactId, '999'],
        },
      );
      assert.equal(applied.status, 200);
      assert.deepEqual(applied.body.results, { [contactId]: 'SUCCESS', '999': 'NOT_FOUND' });
      const again = await call<{ results: Record<string, string> }>(
        'POST',
        `/rest/v2/tags/${tag.body.id}/contacts:applyTags`,
        {
          contact_ids: [contactId],
        },
      );
      assert.deepEqual(again.body.results, { [contactId]: 'DUPLICATE' });
      const forContact = await call<{ tags: { tag: TagBody; applied_time: string }[] }>(
        'GET',
        `/rest/v2/contacts/${contactId}/tags`,
      );
      assert.equal(forContact.body.tags[0]?.tag.name, 'Refunded');
      assert.equal(typeof forContact.body.tags[0]?.applied_time, 'string');
      assert.deepEqual((await call<ContactBody>('GET', `/rest/v2/contacts/${contactId}`)).body.tag_ids, [tag.body.id]);
    });

    it('creates and lists notes', async () => {
      const contactId = await contact();
      const note = await call<{ contact_id: string }>('POST', `/rest/v2/contacts/${contactId}/notes`, {
        user_id: '1',
        title: 'Refund',
        text: 'Refunded $19.99 (Stripe re_123)',
        type: 'Other',
      });
      assert.equal(note.status, 201);
      assert.equal(note.body.contact_id, contactId);
      assertKeapError(
        await call<{ contact_id: string }>('POST', `/rest/v2/contacts/${contactId}/notes`, { user_id: '1' }),
        400,
        /title or type/,
      );
      assertKeapError(await call('POST', `/rest/v2/contacts/${contactId}/notes`, { title: 'x' }), 400, /user_id/);
      const notes = await call<Listing>('GET', `/rest/v2/contacts/${contactId}/notes?${f('title==Ref*')}`);
      assert.deepEqual(
        notes.body.notes.map((n) => n.text),
        ['Refunded $19.99 (Stripe re_123)'],
      );
    });
  });
});
