// Contact notes: createNote and listNotes. Refunds cannot be written through Keap's API, so the service
// records them as notes (and tags), the way Keap users do.
import { z } from 'zod';
import { parseBody, parseFields } from '../body';
import { badRequest } from '../errors';
import {
  QueryPlan,
  compare,
  parseFilter,
  parseIdList,
  parseIdValue,
  parseTime,
  requireOps,
  textMatches,
  unknownFilterField,
} from '../filter';
import { listPage, parsePaging } from '../paging';
import type { NoteRecord } from '../store/records';
import { checkOrderBy, compact, mustGet } from './common';
import type { OpContext, OperationDef, OpRequest, OpResult } from './types';

const CreateNoteRequest = z.object({
  user_id: z.string().refine((s) => s.trim() !== '', { message: 'must not be blank' }),
  title: z.string().optional(),
  text: z.string().optional(),
  type: z.string().optional(),
  is_pinned: z.boolean().optional(),
  custom_fields: z.array(z.object({ id: z.string().optional(), content: z.unknown().optional() })).optional(),
});

function renderNote(n: NoteRecord, fields?: ReadonlySet<string>): Record<string, unknown> {
  return compact({
    id: String(n.id),
    text: n.text,
    title: n.title,
    type: n.type,
    contact_id: String(n.contactId),
    assigned_to_user: { id: n.userId },
    create_time: n.create_time,
    update_time: n.update_time,
    last_updated_by_user_id: n.userId,
    pinned_at: n.pinned_at,
    created_by_user_id: n.userId,
    // custom_fields is an optional property, returned only when asked for with `fields=custom_fields`.
    custom_fields: fields?.has('custom_fields') ? n.custom_fields : undefined,
  });
}

function createNote(ctx: OpContext, req: OpRequest): OpResult {
  const contact = mustGet(ctx.state.contacts, 'Contact', req.params.contact_id);
  const body = parseBody(CreateNoteRequest, req.body, 'CreateNoteRequest');
  if ((body.title ?? '').trim() === '' && (body.type ?? '').trim() === '') {
    throw badRequest('A value for either title or type is required');
  }
  if (body.custom_fields && body.custom_fields.length > 0) {
    // The sandbox defines no note custom fields, so any id is unknown.
    throw badRequest(`Custom field with id ${body.custom_fields[0]?.id ?? ''} not found for TASK_NOTE_APPOINTMENT`);
  }
  const now = ctx.now();
  const note = ctx.state.notes.insert(
    compact({
      id: ctx.state.notes.nextId(),
      contactId: contact.id,
      title: body.title,
      text: body.text,
      type: body.type,
      userId: body.user_id,
      pinned_at: body.is_pinned ? now : undefined,
      custom_fields: [],
      create_time: now,
      update_time: now,
    }),
  );
  return { status: 201, body: renderNote(note, parseFields(req.query)) };
}

const NOTE_FILTER_FIELDS = ['id', 'ids', 'title', 'contact_id', 'assigned_to_user_id', 'since_time', 'until_time'];

function listNotes(ctx: OpContext, req: OpRequest): OpResult {
  const contact = mustGet(ctx.state.contacts, 'Contact', req.params.contact_id);
  const paging = parsePaging(req.query, 'notes');
  checkOrderBy(req.query, ['id', 'create_time']);
  const byContact = ctx.state.notes.lookup('contact', String(contact.id));
  const plan = new QueryPlan<NoteRecord>().index(byContact).where((n) => n.contactId === contact.id);
  const terms = parseFilter(req.query.get('filter'));
  if (terms.some((t) => t.field === 'id') && terms.some((t) => t.field === 'ids')) {
    throw badRequest('id and ids cannot be combined in the same request');
  }
  for (const term of terms) {
    switch (term.field) {
      case 'id': {
        requireOps(term, '==', '!=', '>', '<', '>=', '<=');
        const id = parseIdValue(term);
        plan.where((n) => compare(n.id, term.op, id));
        break;
      }
      case 'ids': {
        requireOps(term, '==');
        const ids = parseIdList(term);
        plan.where((n) => ids.has(n.id));
        break;
      }
      case 'title':
        requireOps(term, '==');
        if (term.value.startsWith('*')) throw badRequest('Leading wildcards are not supported');
        // A bare value matches anywhere in the title; a trailing * is a prefix match.
        plan.where((n) =>
          term.value.endsWith('*')
            ? textMatches(n.title, term.value, true)
            : (n.title ?? '').toLowerCase().includes(term.value.toLowerCase()),
        );
        break;
      case 'contact_id': {
        requireOps(term, '==');
        const id = parseIdValue(term);
        plan.where((n) => n.contactId === id);
        break;
      }
      case 'assigned_to_user_id':
        requireOps(term, '==');
        plan.where((n) => n.userId === term.value);
        break;
      case 'since_time':
      case 'until_time': {
        const at = parseTime(term);
        const since = term.field === 'since_time';
        plan.where((n) => (since ? Date.parse(n.create_time) >= at : Date.parse(n.create_time) <= at));
        break;
      }
      default:
        unknownFilterField(term, NOTE_FILTER_FIELDS);
    }
  }
  const fields = parseFields(req.query);
  return listPage(ctx.state.notes, plan, paging, 'notes', (n) => renderNote(n, fields));
}

export const noteOperations: OperationDef[] = [
  { operationId: 'listNotes', method: 'GET', path: '/rest/v2/contacts/{contact_id}/notes', handler: listNotes },
  { operationId: 'createNote', method: 'POST', path: '/rest/v2/contacts/{contact_id}/notes', handler: createNote },
];
