// Contacts: listContacts, getContact, createContact (with duplicate_option upsert), updateContact.
import { z } from 'zod';
import { parseBody, parseFields, parseUpdateMask } from '../body';
import { badRequest } from '../errors';
import {
  QueryPlan,
  compare,
  isWildcard,
  parseIdList,
  parseIdValue,
  parseFilter,
  parseTime,
  requireOps,
  textKey,
  textMatches,
  unknownFilterField,
} from '../filter';
import { listPage, parsePaging } from '../paging';
import type { Address, ContactData, ContactRecord, EmailAddress, PhoneNumber } from '../store/records';
import { checkOrderBy, compact, mustGet, notImplementedFilter } from './common';
import type { OpContext, OperationDef, OpRequest, OpResult } from './types';

const EMAIL_FIELDS = ['EMAIL1', 'EMAIL2', 'EMAIL3'] as const;
const PHONE_FIELDS = ['PHONE1', 'PHONE2', 'PHONE3', 'PHONE4', 'PHONE5'] as const;
const ADDRESS_FIELDS = ['BILLING', 'SHIPPING', 'OTHER'] as const;
const SOURCE_TYPES = [
  'SOURCE_TYPE_UNSPECIFIED',
  'API',
  'APPOINTMENT',
  'FORM_API_HOSTED',
  'FORM_API_INTERNAL',
  'IMPORT',
  'INTERNAL_FORM',
  'LANDING_PAGE',
  'MANUAL',
  'OTHER',
  'UNKNOWN',
  'WEBFORM',
] as const;
const SOCIAL_TYPES = [
  'SOCIAL_ACCOUNT_TYPE_UNSPECIFIED',
  'FACEBOOK',
  'LINKED_IN',
  'TWITTER',
  'INSTAGRAM',
  'SNAPCHAT',
  'YOUTUBE',
  'PINTEREST',
] as const;

// A pragmatic address check: Keap rejects malformed emails with a 400.
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const AddressRequest = z.object({
  field: z.enum(['ADDRESS_FIELD_UNSPECIFIED', ...ADDRESS_FIELDS]).optional(),
  line1: z.string().max(100).optional(),
  line2: z.string().max(100).optional(),
  locality: z.string().max(100).optional(),
  region: z.string().max(50).optional(),
  region_code: z.string().optional(),
  country: z.string().max(100).optional(),
  country_code: z.string().optional(),
  postal_code: z.string().max(20).optional(),
  zip_code: z.string().max(20).optional(),
  zip_four: z.string().max(10).optional(),
});

/** CreateUpdateContactRequest. */
const ContactRequest = z.object({
  addresses: z.array(AddressRequest).optional(),
  company: z.object({ id: z.string().optional(), company_name: z.string().optional() }).optional(),
  origin: z.object({ ip_address: z.string().optional() }).optional(),
  prefix: z.string().optional(),
  suffix: z.string().optional(),
  website: z.string().max(100).optional(),
  anniversary_date: z.string().optional(),
  birth_date: z.string().optional(),
  contact_type: z.string().optional(),
  custom_fields: z.array(z.object({ id: z.string().optional(), content: z.unknown().optional() })).optional(),
  email_addresses: z
    .array(
      z.object({
        email: z.string().max(100).optional(),
        field: z.enum(['EMAIL_FIELD_UNSPECIFIED', ...EMAIL_FIELDS]).optional(),
        opt_in_reason: z.string().optional(),
      }),
    )
    .optional(),
  family_name: z.string().max(40).optional(),
  fax_numbers: z
    .array(
      z.object({
        number: z.string().optional(),
        type: z.string().optional(),
        field: z.enum(['FAX_NUMBER_FIELD_UNSPECIFIED', 'FAX1', 'FAX2']).optional(),
      }),
    )
    .optional(),
  given_name: z.string().max(40).optional(),
  job_title: z.string().max(255).optional(),
  leadsource_id: z.string().optional(),
  middle_name: z.string().max(100).optional(),
  owner_id: z.string().optional(),
  phone_numbers: z
    .array(
      z.object({
        number: z.string().max(40).optional(),
        extension: z.string().optional(),
        type: z.string().optional(),
        field: z.enum(['PHONE_NUMBER_FIELD_UNSPECIFIED', ...PHONE_FIELDS]).optional(),
        number_e164: z.string().optional(),
      }),
    )
    .optional(),
  preferred_locale: z.string().optional(),
  preferred_name: z.string().max(100).optional(),
  referral_code: z.string().optional(),
  social_accounts: z.array(z.object({ name: z.string().max(255).optional(), type: z.enum(SOCIAL_TYPES) })).optional(),
  source_type: z.enum(SOURCE_TYPES).optional(),
  spouse_name: z.string().max(100).optional(),
  time_zone: z.string().optional(),
  utm_parameters: z
    .object({
      keap_source_id: z.string(),
      utm_source: z.string().optional(),
      utm_medium: z.string().optional(),
      utm_term: z.string().optional(),
      utm_campaign: z.string().optional(),
      utm_content: z.string().optional(),
    })
    .optional(),
  assistant_name: z.string().max(20).optional(),
  assistant_phone: z.string().max(15).optional(),
  billing_information: z.string().max(100).optional(),
});
type ContactRequest = z.infer<typeof ContactRequest>;
type SettableKey = keyof ContactRequest;
const SETTABLE_KEYS = Object.keys(ContactRequest.shape) as SettableKey[];

/** updateContact's update_mask enum, from the spec. */
const CONTACT_MASK_FIELDS = [
  'addresses',
  'anniversary_date',
  'birth_date',
  'company',
  'contact_type',
  'create_time',
  'custom_fields',
  'email_addresses',
  'family_name',
  'fax_numbers',
  'given_name',
  'id',
  'job_title',
  'leadsource_id',
  'links',
  'middle_name',
  'notes',
  'origin',
  'owner_id',
  'phone_numbers',
  'preferred_locale',
  'preferred_name',
  'prefix',
  'referral_code',
  'score_value',
  'social_accounts',
  'source_type',
  'spouse_name',
  'suffix',
  'tag_ids',
  'time_zone',
  'update_time',
  'utm_parameters',
  'website',
  'account_id',
  'assistant_name',
  'assistant_phone',
  'billing_information',
  'created_by',
  'groups',
  'last_updated_by',
];

const DUPLICATE_OPTIONS = ['Email', 'EmailAndName', 'EmailAndNameAndCompany'] as const;

/** Fills unspecified slots (EMAIL1, PHONE1, BILLING...) in order and rejects a slot given twice. */
function assignSlots<T extends { field?: string }>(
  items: readonly T[],
  slots: readonly string[],
  unspecified: string,
  what: string,
): string[] {
  const taken = new Set<string>();
  for (const item of items) {
    if (item.field !== undefined && item.field !== unspecified) {
      if (taken.has(item.field)) throw badRequest(`Duplicate ${what} field ${item.field}`);
      taken.add(item.field);
    }
  }
  const free = slots.filter((s) => !taken.has(s));
  return items.map((item) => {
    if (item.field !== undefined && item.field !== unspecified) return item.field;
    const slot = free.shift();
    if (slot === undefined) throw badRequest(`Too many ${what}s: at most ${slots.length} are allowed`);
    return slot;
  });
}

/** Converts the request's values for `keys` to stored (response-shaped) values. */
function convert(ctx: OpContext, body: ContactRequest, keys: readonly SettableKey[]): Partial<ContactData> {
  const out: Partial<ContactData> = {};
  const now = ctx.now();
  for (const key of keys) {
    switch (key) {
      case 'email_addresses': {
        const items = body.email_addresses;
        if (!items) break;
        const fields = assignSlots(items, EMAIL_FIELDS, 'EMAIL_FIELD_UNSPECIFIED', 'email address');
        out.email_addresses = items.map((e, i): EmailAddress => {
          if (e.email === undefined || !EMAIL_RE.test(e.email)) {
            throw badRequest(`Invalid email address '${e.email ?? ''}' in email_addresses[${i}]`);
          }
          const field = fields[i] as string;
          if (field === 'EMAIL1' && e.email.length > 75) throw badRequest('EMAIL1 allows at most 75 characters');
          return compact({
            email: e.email,
            field,
            opt_in_reason: e.opt_in_reason,
            is_opt_in: e.opt_in_reason !== undefined,
            email_opt_status: e.opt_in_reason !== undefined ? 'SINGLE_OPT_IN' : 'UNENGAGED_MARKETABLE',
          });
        });
        break;
      }
      case 'phone_numbers': {
        const items = body.phone_numbers;
        if (!items) break;
        const fields = assignSlots(items, PHONE_FIELDS, 'PHONE_NUMBER_FIELD_UNSPECIFIED', 'phone number');
        out.phone_numbers = items.map((p, i): PhoneNumber => {
          if (p.number === undefined || p.number.trim() === '')
            throw badRequest(`phone_numbers[${i}].number is required`);
          return compact({ number: p.number, field: fields[i] as string, extension: p.extension, type: p.type });
        });
        break;
      }
      case 'addresses': {
        const items = body.addresses;
        if (!items) break;
        const fields = assignSlots(items, ADDRESS_FIELDS, 'ADDRESS_FIELD_UNSPECIFIED', 'address');
        out.addresses = items.map((a, i): Address => {
          if ((a.region !== undefined || a.region_code !== undefined) && a.country_code === undefined) {
            throw badRequest(`addresses[${i}]: country_code is required if region is specified`);
          }
          return compact({ ...a, field: fields[i] as string });
        });
        break;
      }
      case 'custom_fields':
        // The sandbox defines no contact custom fields, so any id is unknown, as it would be in a fresh app.
        if (body.custom_fields && body.custom_fields.length > 0) {
          throw badRequest(`Custom field with id ${body.custom_fields[0]?.id ?? ''} not found for CONTACT`);
        }
        if (body.custom_fields) out.custom_fields = [];
        break;
      case 'origin':
        if (body.origin) out.origin = compact({ date: now, ip_address: body.origin.ip_address });
        break;
      case 'utm_parameters': {
        const u = body.utm_parameters;
        if (!u) break;
        out.utm_parameters = [
          compact({
            id: ctx.state.next('utm'),
            keapSourceId: u.keap_source_id,
            utmSource: u.utm_source,
            utmMedium: u.utm_medium,
            utmTerm: u.utm_term,
            utmCampaign: u.utm_campaign,
            utmContent: u.utm_content,
            firstTouch: true,
            lastTouch: true,
            dateCreated: now,
          }),
        ];
        break;
      }
      default: {
        const value = body[key];
        if (value !== undefined) (out as Record<string, unknown>)[key] = value;
      }
    }
  }
  return out;
}

/** Sets every key in `keys` from `converted`, clearing the ones it lacks (mask / upsert semantics). */
function assign(data: ContactData, converted: Partial<ContactData>, keys: readonly SettableKey[]): void {
  const target = data as Record<string, unknown>;
  const source = converted as Record<string, unknown>;
  for (const key of keys) {
    if (source[key] !== undefined) target[key] = source[key];
    else delete target[key];
  }
}

function requireReachable(data: ContactData): void {
  const has = (a?: readonly unknown[]): boolean => a !== undefined && a.length > 0;
  if (!has(data.email_addresses) && !has(data.phone_numbers) && !has(data.addresses)) {
    throw badRequest('Contact must contain at least one item in email_addresses, phone_numbers, or addresses');
  }
}

export function renderContact(c: ContactRecord, fields?: ReadonlySet<string>): Record<string, unknown> {
  const full: Record<string, unknown> = {
    id: String(c.id),
    ...c.data,
    email_addresses: c.data.email_addresses ?? [],
    phone_numbers: c.data.phone_numbers ?? [],
    addresses: c.data.addresses ?? [],
    source_type: c.data.source_type ?? 'API',
    tag_ids: [...c.tags.keys()].map(String),
    create_time: c.create_time,
    update_time: c.update_time,
  };
  if (!fields) return full;
  const picked: Record<string, unknown> = { id: full.id };
  for (const f of fields) if (full[f] !== undefined) picked[f] = full[f];
  return picked;
}

/** OrderV2.contact (BasicContact): the primary email is EMAIL1, else the first one. */
export function basicContact(c: ContactRecord | undefined, id: number): Record<string, unknown> {
  if (!c) return { id: String(id) };
  const emails = c.data.email_addresses ?? [];
  const primary = emails.find((e) => e.field === 'EMAIL1') ?? emails[0];
  return compact({
    id: String(c.id),
    email: primary?.email,
    given_name: c.data.given_name,
    family_name: c.data.family_name,
  });
}

function findDuplicate(ctx: OpContext, option: string, body: ContactRequest): ContactRecord | undefined {
  const email = body.email_addresses?.find((e) => e.field === 'EMAIL1')?.email ?? body.email_addresses?.[0]?.email;
  if (email === undefined) return undefined;
  const same = (a: string | undefined, b: string | undefined): boolean =>
    (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
  const ids = [...ctx.state.contacts.lookup('email', textKey(email))].sort((a, b) => a - b);
  for (const id of ids) {
    const c = ctx.state.contacts.get(id);
    if (!c) continue;
    if (option === 'Email') return c;
    const nameMatches = same(c.data.given_name, body.given_name) && same(c.data.family_name, body.family_name);
    if (option === 'EmailAndName' && nameMatches) return c;
    if (
      option === 'EmailAndNameAndCompany' &&
      nameMatches &&
      same(c.data.company?.company_name, body.company?.company_name)
    ) {
      return c;
    }
  }
  return undefined;
}

function createContact(ctx: OpContext, req: OpRequest): OpResult {
  const body = parseBody(ContactRequest, req.body, 'CreateUpdateContactRequest');
  const option = req.query.get('duplicate_option');
  if (option !== null && !(DUPLICATE_OPTIONS as readonly string[]).includes(option)) {
    throw badRequest(`Invalid duplicate_option '${option}' (allowed: ${DUPLICATE_OPTIONS.join(', ')})`);
  }
  const converted = convert(ctx, body, SETTABLE_KEYS);
  const fields = parseFields(req.query);
  const existing = option === null ? undefined : findDuplicate(ctx, option, body);
  if (existing) {
    // Upsert replaces the contact: every field not sent is removed (the behaviour DESIGN.md warns about).
    const data: ContactData = { ...existing.data };
    assign(data, converted, SETTABLE_KEYS);
    requireReachable(data);
    ctx.state.contacts.update(existing, (c) => {
      c.data = data;
      c.update_time = ctx.now();
    });
    return { status: 200, body: renderContact(existing, fields) };
  }
  const data: ContactData = {};
  assign(data, converted, SETTABLE_KEYS);
  requireReachable(data);
  const now = ctx.now();
  const contact = ctx.state.contacts.insert({
    id: ctx.state.contacts.nextId(),
    data,
    tags: new Map(),
    create_time: now,
    update_time: now,
  });
  return { status: 201, body: renderContact(contact, fields) };
}

function getContact(ctx: OpContext, req: OpRequest): OpResult {
  const contact = mustGet(ctx.state.contacts, 'Contact', req.params.contact_id);
  return { status: 200, body: renderContact(contact, parseFields(req.query)) };
}

function updateContact(ctx: OpContext, req: OpRequest): OpResult {
  const contact = mustGet(ctx.state.contacts, 'Contact', req.params.contact_id);
  const body = parseBody(ContactRequest, req.body, 'CreateUpdateContactRequest');
  const mask = parseUpdateMask(req.query, CONTACT_MASK_FIELDS);
  // With a mask, exactly the masked settable fields change (a masked field absent from the body is cleared);
  // without one, every field present in the body changes. Arrays given replace the stored ones wholesale.
  const keys = mask
    ? SETTABLE_KEYS.filter((k) => mask.has(k))
    : SETTABLE_KEYS.filter((k) => (body as Record<string, unknown>)[k] !== undefined);
  const converted = convert(ctx, body, keys);
  const data: ContactData = { ...contact.data };
  assign(data, converted, keys);
  ctx.state.contacts.update(contact, (c) => {
    c.data = data;
    c.update_time = ctx.now();
  });
  return { status: 200, body: renderContact(contact, parseFields(req.query)) };
}

const CONTACT_FILTER_FIELDS = [
  'email',
  'given_name',
  'family_name',
  'middle_name',
  'company_id',
  'contact_ids',
  'ids',
  'contact_id',
  'start_update_time',
  'end_update_time',
];
const CONTACT_FILTER_UNIMPLEMENTED = new Set([
  'phone_number',
  'phone_fields',
  'billing_address_line1',
  'billing_address_locality',
  'billing_address_region',
  'billing_address_postal_code',
  'billing_address_country_code',
  'shipping_address_line1',
  'shipping_address_locality',
  'shipping_address_region',
  'shipping_address_postal_code',
  'shipping_address_country_code',
  'other_address_line1',
  'other_address_locality',
  'other_address_region',
  'other_address_postal_code',
  'other_address_country_code',
  'city',
  'state',
  'website',
  'lead_source_name',
]);

function listContacts(ctx: OpContext, req: OpRequest): OpResult {
  const paging = parsePaging(req.query, 'contacts');
  checkOrderBy(req.query, ['id', 'create_time', 'date_created']);
  const plan = new QueryPlan<ContactRecord>();
  for (const term of parseFilter(req.query.get('filter'))) {
    switch (term.field) {
      case 'email':
        requireOps(term, '==');
        if (!isWildcard(term.value)) plan.index(ctx.state.contacts.lookup('email', textKey(term.value)));
        plan.where((c) => (c.data.email_addresses ?? []).some((e) => textMatches(e.email, term.value, true)));
        break;
      case 'given_name':
      case 'family_name':
      case 'middle_name': {
        requireOps(term, '==');
        const field = term.field;
        plan.where((c) => textMatches(c.data[field], term.value, true));
        break;
      }
      case 'company_id':
        requireOps(term, '==');
        plan.where((c) => c.data.company?.id === term.value);
        break;
      case 'ids':
      case 'contact_ids': {
        requireOps(term, '==');
        const ids = parseIdList(term);
        plan.index(ids).where((c) => ids.has(c.id));
        break;
      }
      case 'contact_id': {
        requireOps(term, '==', '>', '<', '>=', '<=');
        const id = parseIdValue(term);
        if (term.op === '==') plan.index(new Set([id]));
        plan.where((c) => compare(c.id, term.op, id));
        break;
      }
      case 'start_update_time': {
        const t = parseTime(term);
        plan.where((c) => Date.parse(c.update_time) >= t);
        break;
      }
      case 'end_update_time': {
        const t = parseTime(term);
        plan.where((c) => Date.parse(c.update_time) <= t);
        break;
      }
      default:
        if (CONTACT_FILTER_UNIMPLEMENTED.has(term.field)) notImplementedFilter(term.field);
        unknownFilterField(term, CONTACT_FILTER_FIELDS);
    }
  }
  const fields = parseFields(req.query);
  return listPage(ctx.state.contacts, plan, paging, 'contacts', (c) => renderContact(c, fields));
}

export const contactOperations: OperationDef[] = [
  { operationId: 'listContacts', method: 'GET', path: '/rest/v2/contacts', handler: listContacts },
  { operationId: 'createContact', method: 'POST', path: '/rest/v2/contacts', handler: createContact },
  { operationId: 'getContact', method: 'GET', path: '/rest/v2/contacts/{contact_id}', handler: getContact },
  { operationId: 'updateContact', method: 'PATCH', path: '/rest/v2/contacts/{contact_id}', handler: updateContact },
];
