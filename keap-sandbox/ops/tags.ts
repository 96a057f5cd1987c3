// Tags: listTags, createTag, applyTags, listTagsForContact. Merchants trigger automation from tags because
// API orders with manual payments fire no purchase goals.
import { z } from 'zod';
import { parseBody } from '../body';
import { KeapError } from '../errors';
import {
  QueryPlan,
  isWildcard,
  parseFilter,
  parseIdList,
  parseTime,
  requireOps,
  textKey,
  textMatches,
  unknownFilterField,
} from '../filter';
import { listPage, nextPageToken, parsePaging } from '../paging';
import type { TagRecord } from '../store/records';
import { checkOrderBy, compact, mustGet } from './common';
import type { OpContext, OperationDef, OpRequest, OpResult } from './types';

const CreateUpdateTagRequest = z.object({
  name: z
    .string()
    .refine((s) => s.trim() !== '', { message: 'must not be blank' })
    .transform((s) => s.slice(0, 255)), // "up to 255 characters will be saved"
  description: z.string().optional(),
  category: z.object({ id: z.string() }).optional(),
});

const ApplyRemoveTagRequest = z.object({
  contact_ids: z.array(z.string()).refine((ids) => new Set(ids).size === ids.length, { message: 'must be unique' }),
});

export function renderTag(t: TagRecord): Record<string, unknown> {
  return compact({
    id: String(t.id),
    name: t.name,
    description: t.description,
    category: t.categoryId === undefined ? undefined : { id: t.categoryId },
    create_time: t.create_time,
    update_time: t.update_time,
  });
}

/** Filter terms shared by listTags and listTagsForContact. */
function tagPredicate(field: string, value: string): ((t: TagRecord) => boolean) | undefined {
  switch (field) {
    case 'name':
      return (t) => textMatches(t.name, value, true);
    case 'description':
      return value === 'NONE' ? (t) => !t.description : (t) => textMatches(t.description, value, true);
    case 'category_id':
      return value === 'NONE' ? (t) => t.categoryId === undefined : (t) => t.categoryId === value;
    default:
      return undefined;
  }
}

function createTag(ctx: OpContext, req: OpRequest): OpResult {
  const body = parseBody(CreateUpdateTagRequest, req.body, 'CreateUpdateTagRequest');
  for (const id of ctx.state.tags.lookup('name', textKey(body.name))) {
    if (ctx.state.tags.get(id)?.categoryId === body.category?.id) {
      throw new KeapError(409, `A tag named '${body.name}' already exists`);
    }
  }
  const now = ctx.now();
  const tag = ctx.state.tags.insert(
    compact({
      id: ctx.state.tags.nextId(),
      name: body.name,
      description: body.description,
      categoryId: body.category?.id,
      create_time: now,
      update_time: now,
    }),
  );
  return { status: 201, body: renderTag(tag) };
}

const TAG_FILTER_FIELDS = [
  'name',
  'description',
  'category_id',
  'tag_ids',
  'since_create_time',
  'until_create_time',
  'since_update_time',
  'until_update_time',
];

function listTags(ctx: OpContext, req: OpRequest): OpResult {
  const paging = parsePaging(req.query, 'tags');
  checkOrderBy(req.query, ['create_time']);
  const plan = new QueryPlan<TagRecord>();
  for (const term of parseFilter(req.query.get('filter'))) {
    requireOps(term, '==');
    const predicate = tagPredicate(term.field, term.value);
    if (predicate) {
      if (term.field === 'name' && !isWildcard(term.value))
        plan.index(ctx.state.tags.lookup('name', textKey(term.value)));
      plan.where(predicate);
      continue;
    }
    switch (term.field) {
      case 'tag_ids': {
        const ids = parseIdList(term);
        plan.index(ids).where((t) => ids.has(t.id));
        break;
      }
      case 'since_create_time':
      case 'until_create_time':
      case 'since_update_time':
      case 'until_update_time': {
        const at = parseTime(term);
        const since = term.field.startsWith('since');
        const key = term.field.endsWith('create_time') ? 'create_time' : 'update_time';
        plan.where((t) => (since ? Date.parse(t[key]) >= at : Date.parse(t[key]) <= at));
        break;
      }
      default:
        unknownFilterField(term, TAG_FILTER_FIELDS);
    }
  }
  return listPage(ctx.state.tags, plan, paging, 'tags', renderTag);
}

function applyTags(ctx: OpContext, req: OpRequest): OpResult {
  const tag = mustGet(ctx.state.tags, 'Tag', req.params.tag_id);
  const body = parseBody(ApplyRemoveTagRequest, req.body, 'ApplyRemoveTagRequest');
  const results: Record<string, string> = {};
  const now = ctx.now();
  for (const rawId of body.contact_ids) {
    const contact = /^\d+$/.test(rawId) ? ctx.state.contacts.get(Number(rawId)) : undefined;
    if (!contact) results[rawId] = 'NOT_FOUND';
    else if (contact.tags.has(tag.id)) results[rawId] = 'DUPLICATE';
    else {
      contact.tags.set(tag.id, now);
      results[rawId] = 'SUCCESS';
    }
  }
  return { status: 200, body: { results } };
}

/** Removing a tag a contact does not carry is not an error in Keap: removal is idempotent. */
function removeTags(ctx: OpContext, req: OpRequest): OpResult {
  const tag = mustGet(ctx.state.tags, 'Tag', req.params.tag_id);
  const body = parseBody(ApplyRemoveTagRequest, req.body, 'ApplyRemoveTagRequest');
  for (const rawId of body.contact_ids) {
    const contact = /^\d+$/.test(rawId) ? ctx.state.contacts.get(Number(rawId)) : undefined;
    contact?.tags.delete(tag.id);
  }
  return { status: 204 };
}

const CONTACT_TAG_FILTER_FIELDS = [
  'name',
  'description',
  'category_id',
  'since_applied_time',
  'until_applied_time',
  'since_create_time',
  'until_create_time',
  'since_update_time',
  'until_update_time',
];

function listTagsForContact(ctx: OpContext, req: OpRequest): OpResult {
  const contact = mustGet(ctx.state.contacts, 'Contact', req.params.contact_id);
  const paging = parsePaging(req.query, 'contactTags');
  checkOrderBy(req.query, ['id']);
  const predicates: ((t: TagRecord, appliedAt: string) => boolean)[] = [];
  for (const term of parseFilter(req.query.get('filter'))) {
    requireOps(term, '==');
    const predicate = tagPredicate(term.field, term.value);
    if (predicate) {
      predicates.push((t) => predicate(t));
      continue;
    }
    if (!CONTACT_TAG_FILTER_FIELDS.includes(term.field)) unknownFilterField(term, CONTACT_TAG_FILTER_FIELDS);
    const at = parseTime(term);
    const since = term.field.startsWith('since');
    predicates.push((t, appliedAt) => {
      const value = term.field.includes('applied')
        ? appliedAt
        : term.field.includes('create')
          ? t.create_time
          : t.update_time;
      return since ? Date.parse(value) >= at : Date.parse(value) <= at;
    });
  }
  // A contact carries few tags: filter them directly, in tag-id order.
  const matching: { tag: TagRecord; applied: string }[] = [];
  for (const [tagId, applied] of [...contact.tags].sort((a, b) => a[0] - b[0])) {
    const tag = ctx.state.tags.get(tagId);
    if (tag && tag.id > paging.afterId && predicates.every((p) => p(tag, applied))) matching.push({ tag, applied });
  }
  const slice = matching.slice(0, paging.pageSize);
  const page = { rows: slice.map((m) => m.tag), more: matching.length > slice.length };
  return {
    status: 200,
    body: {
      tags: slice.map((m) => ({ tag: renderTag(m.tag), applied_time: m.applied })),
      next_page_token: nextPageToken(page, 'contactTags'),
    },
  };
}

export const tagOperations: OperationDef[] = [
  { operationId: 'listTags', method: 'GET', path: '/rest/v2/tags', handler: listTags },
  { operationId: 'createTag', method: 'POST', path: '/rest/v2/tags', handler: createTag },
  { operationId: 'applyTags', method: 'POST', path: '/rest/v2/tags/{tag_id}/contacts:applyTags', handler: applyTags },
  {
    operationId: 'removeTags',
    method: 'POST',
    path: '/rest/v2/tags/{tag_id}/contacts:removeTags',
    handler: removeTags,
  },
  {
    operationId: 'listTagsForContact',
    method: 'GET',
    path: '/rest/v2/contacts/{contact_id}/tags',
    handler: listTagsForContact,
  },
];
