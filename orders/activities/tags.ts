import type { KeapAccess } from '../../activities/keap-access';

export interface TagContactInput {
  accountId: string;
  contactId: string;
  /** The tag's name, as the merchant configured it; created in Keap on first use. */
  tagName: string;
  action: 'apply' | 'remove';
}

/**
 * Tags are how Keap merchants trigger automation (API-created orders with manual payments fire no
 * purchase goals), so overdue orders tag their contact. Applying and removing are idempotent in Keap.
 */
export function tagActivities(access: KeapAccess) {
  const tagIds = new Map<string, string>();
  return {
    async tagContact({ accountId, contactId, tagName, action }: TagContactInput): Promise<void> {
      await access.run(accountId, async ({ keap, appKey }) => {
        const cacheKey = `${appKey}|${tagName}`;
        let tagId = tagIds.get(cacheKey) ?? (await keap.findTagByName(tagName))?.id;
        if (!tagId) {
          if (action === 'remove') return;
          try {
            tagId = (await keap.createTag(tagName, 'Applied by Sales Sync while an order is past due')).id;
          } catch (error) {
            // Another order may have created it a moment ago (tag names are unique in Keap).
            tagId = (await keap.findTagByName(tagName))?.id;
            if (!tagId) throw error;
          }
        }
        tagIds.set(cacheKey, tagId);
        if (action === 'apply') await keap.applyTag(tagId, [contactId]);
        else await keap.removeTag(tagId, [contactId]);
      });
    },
  };
}
