// Order custom fields: retrieveOrderCustomFieldModel and createOrderCustomField, plus the per-type rules
// used when orders set or filter on them.
import { z } from 'zod';
import { parseBody } from '../body';
import { badRequest } from '../errors';
import { textKey } from '../filter';
import type { CustomFieldRecord } from '../store/records';
import { compact } from './common';
import type { OpContext, OperationDef, OpRequest, OpResult } from './types';

export const FIELD_TYPES = [
  'CURRENCY',
  'DATE',
  'DATE_TIME',
  'DAY_OF_WEEK',
  'DECIMAL_NUMBER',
  'DRILLDOWN',
  'DROPDOWN',
  'EMAIL',
  'LIST_BOX',
  'MONTH',
  'NAME',
  'PERCENT',
  'PHONE_NUMBER',
  'RADIO',
  'SOCIAL_SECURITY_NUMBER',
  'STATE',
  'TEXT',
  'TEXT_AREA',
  'USER',
  'USER_LIST_BOX',
  'WEBSITE',
  'WHOLE_NUMBER',
  'YEAR',
  'YES_NO',
] as const;

/** How a field type is stored and filtered, following listOrders' filter documentation. */
export type FieldCategory = 'text' | 'exact' | 'numeric' | 'date' | 'multi';

export function fieldCategory(fieldType: string): FieldCategory {
  switch (fieldType) {
    case 'WHOLE_NUMBER':
    case 'DECIMAL_NUMBER':
    case 'CURRENCY':
    case 'PERCENT':
    case 'YEAR':
    case 'MONTH':
    case 'DAY_OF_WEEK':
    case 'USER':
      return 'numeric';
    case 'DATE':
    case 'DATE_TIME':
      return 'date';
    case 'YES_NO':
    case 'DRILLDOWN':
      return 'exact';
    case 'LIST_BOX':
    case 'USER_LIST_BOX':
      return 'multi';
    default:
      return 'text';
  }
}

const TEXT_MAX = 65535;

/** Checks a value an order sets on a custom field; null clears it. */
export function validateContent(field: CustomFieldRecord, content: unknown): void {
  if (content === null) return;
  const fail = (expected: string): never => {
    throw badRequest(
      `Invalid content for custom field ${field.id} (${field.field_name}, ${field.field_type}): expected ${expected}`,
    );
  };
  switch (fieldCategory(field.field_type)) {
    case 'text':
      if (typeof content !== 'string') fail('a string');
      if ((content as string).length > TEXT_MAX) fail(`at most ${TEXT_MAX} characters`);
      return;
    case 'numeric':
      if (typeof content !== 'number' || !Number.isFinite(content)) fail('a number');
      if (field.field_type === 'WHOLE_NUMBER' && !Number.isInteger(content)) fail('a whole number');
      return;
    case 'date':
      if (typeof content !== 'string' || Number.isNaN(Date.parse(content))) fail('an ISO-8601 date');
      return;
    case 'exact':
      if (typeof content !== 'string' && typeof content !== 'boolean') fail('a string or boolean');
      return;
    case 'multi':
      if (!(typeof content === 'string' || (Array.isArray(content) && content.every((c) => typeof c === 'string')))) {
        fail('a list of strings');
      }
      return;
  }
}

/**
 * Keap's database name for a custom field, as the v2 spec shows them (`_OrderTitle0`, `_OrderValue1`):
 * an underscore, the label's alphanumeric words in PascalCase, then the smallest number >= 0 that makes the
 * name unique (case-insensitively) among the order custom fields. "Sales Sync Order Key" -> `_SalesSyncOrderKey0`.
 */
export function deriveFieldName(label: string, taken: (name: string) => boolean): string {
  const words = label.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const stem =
    words
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('')
      .slice(0, 40) || 'Field';
  for (let n = 0; ; n++) {
    const name = `_${stem}${n}`;
    if (!taken(name)) return name;
  }
}

const CreateCustomFieldRequest = z.object({
  label: z.string().refine((s) => s.trim() !== '', { message: 'must not be blank' }),
  field_type: z.enum(FIELD_TYPES),
  options: z.array(z.object({ label: z.string().optional() })).optional(),
  group_id: z.string().optional(),
  user_group_id: z.string().optional(),
});

const TYPES_WITH_OPTIONS = new Set(['DROPDOWN', 'RADIO', 'LIST_BOX', 'DRILLDOWN']);

export function renderField(f: CustomFieldRecord): Record<string, unknown> {
  return compact({
    id: String(f.id),
    label: f.label,
    options: f.options,
    record_type: f.record_type,
    field_type: f.field_type,
    group_id: f.group_id,
    field_name: f.field_name,
  });
}

function retrieveOrderCustomFieldModel(ctx: OpContext): OpResult {
  return {
    status: 200,
    body: { custom_fields: [...ctx.state.orderFields.values()].map(renderField), optional_properties: [] },
  };
}

function createOrderCustomField(ctx: OpContext, req: OpRequest): OpResult {
  const body = parseBody(CreateCustomFieldRequest, req.body, 'CreateCustomFieldRequest');
  if (body.options && body.options.length > 0 && !TYPES_WITH_OPTIONS.has(body.field_type)) {
    throw badRequest(`Options are not allowed for field_type ${body.field_type}`);
  }
  const fields = ctx.state.orderFields;
  const fieldName = deriveFieldName(body.label, (name) => fields.lookup('fieldName', textKey(name)).size > 0);
  const field = fields.insert(
    compact({
      id: fields.nextId(),
      label: body.label,
      field_type: body.field_type,
      field_name: fieldName,
      record_type: 'ORDER' as const,
      options: (body.options ?? []).map((o) => ({ id: String(ctx.state.next('fieldOption')), label: o.label ?? '' })),
      group_id: body.group_id,
      user_group_id: body.user_group_id,
    }),
  );
  return { status: 201, body: renderField(field) };
}

export const orderFieldOperations: OperationDef[] = [
  {
    operationId: 'retrieveOrderCustomFieldModel',
    method: 'GET',
    path: '/rest/v2/orders/model',
    handler: retrieveOrderCustomFieldModel,
  },
  {
    operationId: 'createOrderCustomField',
    method: 'POST',
    path: '/rest/v2/orders/model/customFields',
    handler: createOrderCustomField,
  },
];
