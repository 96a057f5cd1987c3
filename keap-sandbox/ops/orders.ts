// Orders: createOrder, getOrder, listOrders, deleteOrder. Item prices arrive as major-unit doubles and are
// stored as integer minor units; OrderV2 reports total / total_paid / total_due as CurrencyValue (minor units).
import { z } from 'zod';
import { parseBody } from '../body';
import { KeapError, badRequest } from '../errors';
import {
  type FilterTerm,
  QueryPlan,
  compare,
  isWildcard,
  parseBoolean,
  parseFilter,
  parseIdList,
  parseIdValue,
  parseTime,
  requireOps,
  textKey,
  textMatches,
} from '../filter';
import { listPage, parsePaging } from '../paging';
import type { CustomFieldRecord, OrderItemRecord, OrderRecord, ShippingRecord } from '../store/records';
import { contentText, customFieldKey } from '../store/state';
import { checkOrderBy, compact, mustGet, notImplementedFilter } from './common';
import { basicContact } from './contacts';
import { fieldCategory, validateContent } from './order-fields';
import type { OpContext, OperationDef, OpRequest, OpResult } from './types';

/** RFC 3339 date-time with a zone, as `format: date-time` requires. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
export const dateTime = z
  .string()
  .refine((s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 date-time' });
const notWhitespace = z.string().refine((s) => s.trim() !== '', { message: 'must not be whitespace' });

const ITEM_TYPES = [
  'PRODUCT',
  'SHIPPING',
  'TAX',
  'FINANCE_CHARGE',
  'SUBSCRIPTION',
  'DISCOUNT',
  'DISCOUNT_FREE_TRIAL',
  'DISCOUNT_ORDER_TOTAL',
  'DISCOUNT_PRODUCT',
  'DISCOUNT_PRODUCT_CATEGORY',
  'DISCOUNT_SHIPPING',
  'OTHER',
  'FEE',
] as const;

const CreateOrderItemRequest = z.object({
  name: notWhitespace.optional(),
  description: notWhitespace.optional(),
  quantity: z.number().int().min(1).max(2147483647),
  notes: notWhitespace.optional(),
  product_id: z.string().optional(),
  subscription_plan_id: z.string().optional(),
  subscription_plan_description: notWhitespace.optional(),
  item_type: z.enum(ITEM_TYPES).optional(),
  price_per_unit: z.number().min(0).optional(),
  cost_per_unit: z.number().min(0).optional(),
});
type CreateOrderItemRequest = z.infer<typeof CreateOrderItemRequest>;

const RestCreateOrderRequest = z.object({
  contact_id: z.string(),
  order_time: dateTime,
  order_title: notWhitespace,
  order_type: z.enum(['ONLINE', 'OFFLINE']),
  notes: z.string().optional(),
  terms: z.string().optional(),
  title: z.string().optional(),
  order_items: z.array(CreateOrderItemRequest).optional(),
  promo_codes: z.array(z.string()).optional(),
  lead_affiliate_id: z.string().optional(),
  sales_affiliate_id: z.string().optional(),
  shipping_address: z
    .object({
      line1: z.string().optional(),
      line2: z.string().optional(),
      locality: z.string().optional(),
      region: z.string().optional(),
      company: z.string().optional(),
      phone: z.string().optional(),
      zip_code: z.string().optional(),
      zip_four: z.string().optional(),
      country_code: z.string().optional(),
      first_name: z.string().optional(),
      middle_name: z.string().optional(),
      last_name: z.string().optional(),
      is_invoice_to_company: z.boolean().optional(),
    })
    .optional(),
  custom_fields: z.array(z.object({ id: z.string(), content: z.unknown().optional() })).optional(),
  sent_time: dateTime.optional(),
  due_time: dateTime.optional(),
  invoice_number: z.string().optional(),
  external_create_user: z.string().optional(),
  external_create_time: dateTime.optional(),
  external_update_time: dateTime.optional(),
});

const iso = (s: string | undefined): string | undefined => (s === undefined ? undefined : new Date(s).toISOString());

export function orderStatus(o: OrderRecord): 'PAID' | 'DRAFT' {
  return o.paidMinor >= o.totalMinor ? 'PAID' : 'DRAFT';
}

export function renderOrder(ctx: OpContext, o: OrderRecord): Record<string, unknown> {
  const m = ctx.money;
  return compact({
    id: String(o.id),
    title: o.title,
    status: orderStatus(o),
    total: m.value(o.totalMinor),
    contact: basicContact(ctx.state.contacts.get(o.contactId), o.contactId),
    notes: o.notes,
    terms: o.terms,
    order_type: o.order_type,
    source_type: 'API',
    creation_time: o.creation_time,
    modification_time: o.modification_time,
    order_time: o.order_time,
    lead_affiliate_id: o.lead_affiliate_id,
    sales_affiliate_id: o.sales_affiliate_id,
    total_paid: m.value(o.paidMinor),
    // Without a payment plan everything unpaid is due now: total_due is the remaining balance.
    total_due: m.value(o.totalMinor - o.paidMinor),
    shipping_information: o.shipping,
    refund_total: m.value(0),
    allow_payment: false,
    allow_paypal: false,
    order_items: o.items.map((i) =>
      compact({
        id: String(i.id),
        name: i.name,
        description: i.description,
        notes: i.notes,
        quantity: i.quantity,
        product: i.product,
        item_type: i.item_type,
        cost_per_unit: i.costMinor === undefined ? undefined : m.value(i.costMinor),
        price_per_unit: m.value(i.priceMinor),
      }),
    ),
    invoice_number: o.invoice_number,
    files: [],
    synced: false,
    invoice_id: String(o.invoiceId),
    custom_fields: [...o.customFields].map(([id, content]) => ({ id: String(id), content })),
    sent_time: o.sent_time,
    due_time: o.due_time,
    external_create_user: o.external_create_user,
    external_create_time: o.external_create_time,
    external_update_time: o.external_update_time,
  });
}

function toMinor(ctx: OpContext, major: number, what: string): number {
  const minor = ctx.money.toMinor(major);
  if (minor === undefined) throw badRequest(`${what} is not a valid amount`);
  return minor;
}

function buildItem(ctx: OpContext, item: CreateOrderItemRequest, index: number): OrderItemRecord {
  const type = item.item_type ?? 'PRODUCT';
  const where = `order_items[${index}]`;
  if (type.startsWith('DISCOUNT')) {
    throw new KeapError(501, `${where}: item_type ${type} is not implemented by the Keap sandbox`);
  }
  let product: OrderItemRecord['product'];
  let defaultPriceMinor: number | undefined;
  if (item.product_id !== undefined) {
    const p = ctx.state.products.get(/^\d+$/.test(item.product_id) ? Number(item.product_id) : NaN);
    if (!p) throw badRequest(`${where}: Product with id ${item.product_id} not found`);
    product = compact({
      id: String(p.id),
      name: p.name,
      sku: p.sku,
      description: p.description,
      shippable: p.shippable,
      taxable: p.taxable,
    });
    defaultPriceMinor = p.priceMinor;
  } else if (type === 'PRODUCT' || type === 'SUBSCRIPTION') {
    throw badRequest(`${where}: product_id is required for item_type ${type}`);
  }
  if (type === 'SUBSCRIPTION') {
    // No product in the sandbox has subscription plans, so every plan id is unknown.
    throw badRequest(`${where}: Subscription plan with id ${item.subscription_plan_id ?? ''} not found`);
  }
  const priceMinor =
    item.price_per_unit !== undefined
      ? toMinor(ctx, item.price_per_unit, `${where}.price_per_unit`)
      : defaultPriceMinor;
  if (priceMinor === undefined) throw badRequest(`${where}: price_per_unit is required for item_type ${type}`);
  return compact({
    id: ctx.state.next('orderItem'),
    item_type: type,
    name: item.name ?? product?.name ?? type.charAt(0) + type.slice(1).toLowerCase().replace('_', ' '),
    description: item.description,
    notes: item.notes,
    quantity: item.quantity,
    priceMinor,
    costMinor:
      item.cost_per_unit === undefined ? undefined : toMinor(ctx, item.cost_per_unit, `${where}.cost_per_unit`),
    product,
  });
}

function createOrder(ctx: OpContext, req: OpRequest): OpResult {
  const body = parseBody(RestCreateOrderRequest, req.body, 'RestCreateOrderRequest');
  const contactId = /^\d+$/.test(body.contact_id) ? Number(body.contact_id) : NaN;
  if (!ctx.state.contacts.get(contactId)) throw badRequest(`Contact with id ${body.contact_id} not found`);
  const firstPromo = body.promo_codes?.find((c) => c.trim() !== '');
  if (firstPromo !== undefined) throw badRequest(`Promo code '${firstPromo}' not found`);

  const items = (body.order_items ?? []).map((item, i) => buildItem(ctx, item, i));
  let totalMinor = 0;
  for (const item of items) totalMinor += item.priceMinor * item.quantity;
  if (!Number.isSafeInteger(totalMinor)) throw badRequest('Order total is too large');

  const customFields = new Map<number, unknown>();
  for (const [i, cf] of (body.custom_fields ?? []).entries()) {
    const field = /^\d+$/.test(cf.id) ? ctx.state.orderFields.get(Number(cf.id)) : undefined;
    if (!field) throw badRequest(`custom_fields[${i}]: Custom field with id ${cf.id} not found for ORDER`);
    const content = cf.content ?? null;
    validateContent(field, content);
    customFields.set(field.id, content);
  }

  const a = body.shipping_address;
  const shipping: ShippingRecord | undefined = a
    ? compact({
        id: String(ctx.state.next('shipping')),
        address: compact({
          line1: a.line1,
          line2: a.line2,
          locality: a.locality,
          region: a.region,
          zip_code: a.zip_code,
          zip_four: a.zip_four,
          country_code: a.country_code,
        }),
        company: a.company,
        given_name: a.first_name,
        family_name: a.last_name,
        phone_number: a.phone,
        invoice_to_company: a.is_invoice_to_company,
      })
    : undefined;

  const now = ctx.now();
  const order = ctx.state.orders.insert(
    compact({
      id: ctx.state.orders.nextId(),
      contactId,
      invoiceId: ctx.state.next('invoice'),
      title: body.order_title,
      order_type: body.order_type,
      order_time: new Date(body.order_time).toISOString(),
      creation_time: now,
      modification_time: now,
      notes: body.notes,
      terms: body.terms,
      invoice_title: body.title,
      invoice_number: body.invoice_number,
      lead_affiliate_id: body.lead_affiliate_id,
      sales_affiliate_id: body.sales_affiliate_id,
      sent_time: iso(body.sent_time),
      due_time: iso(body.due_time),
      external_create_user: body.external_create_user,
      external_create_time: iso(body.external_create_time),
      external_update_time: iso(body.external_update_time),
      shipping,
      items,
      totalMinor,
      paidMinor: 0,
      customFields,
      payments: [],
    }),
  );
  return { status: 201, body: renderOrder(ctx, order) };
}

function getOrder(ctx: OpContext, req: OpRequest): OpResult {
  return { status: 200, body: renderOrder(ctx, mustGet(ctx.state.orders, 'Order', req.params.order_id)) };
}

function deleteOrder(ctx: OpContext, req: OpRequest): OpResult {
  const order = mustGet(ctx.state.orders, 'Order', req.params.order_id);
  if (order.payments.length > 0) {
    throw badRequest(`Order ${order.id} has payments recorded and cannot be deleted`);
  }
  ctx.state.orders.delete(order.id);
  return { status: 204 };
}

const ORDER_FILTER_FIELDS = [
  'id',
  'ids',
  'product_id',
  'contact_id',
  'invoice_id',
  'invoice_xid',
  'paid',
  'created_since_time',
  'created_until_time',
  'modified_since_time',
  'modified_until_time',
  'title',
  'order_type',
  'shipping_locality',
  'shipping_region_code',
  'shipping_postal_code',
  'shipping_country_code',
];

function customFieldTerm(
  ctx: OpContext,
  plan: QueryPlan<OrderRecord>,
  field: CustomFieldRecord,
  term: FilterTerm,
): void {
  const fid = field.id;
  const value = (o: OrderRecord): unknown => o.customFields.get(fid);
  switch (fieldCategory(field.field_type)) {
    case 'text':
    case 'exact': {
      requireOps(term, '==');
      const wildcard = fieldCategory(field.field_type) === 'text';
      if (!(wildcard && isWildcard(term.value))) {
        plan.index(ctx.state.orders.lookup('customField', customFieldKey(fid, term.value)));
      }
      plan.where((o) => {
        const v = value(o);
        return v !== undefined && v !== null && textMatches(contentText(v), term.value, wildcard);
      });
      return;
    }
    case 'numeric': {
      requireOps(term, '==', '>', '<', '>=', '<=');
      const n = Number(term.value);
      if (term.value.trim() === '' || !Number.isFinite(n))
        throw badRequest(`Invalid number '${term.value}' for ${term.field}`);
      plan.where((o) => {
        const v = value(o);
        return typeof v === 'number' && compare(v, term.op, n);
      });
      return;
    }
    case 'date': {
      requireOps(term, '==', '>', '<', '>=', '<=');
      const t = parseTime(term);
      plan.where((o) => {
        const v = value(o);
        return typeof v === 'string' && compare(Date.parse(v), term.op, t);
      });
      return;
    }
    case 'multi': {
      requireOps(term, '==');
      const want = term.value.toLowerCase();
      plan.where((o) => {
        const v = value(o);
        const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
        return list.some((x) => typeof x === 'string' && x.trim().toLowerCase() === want);
      });
      return;
    }
  }
}

function listOrders(ctx: OpContext, req: OpRequest): OpResult {
  const paging = parsePaging(req.query, 'orders');
  checkOrderBy(req.query, ['id']);
  const plan = new QueryPlan<OrderRecord>();
  const orders = ctx.state.orders;
  for (const term of parseFilter(req.query.get('filter'))) {
    switch (term.field) {
      case 'id': {
        requireOps(term, '==', '!=', '>', '>=', '<', '<=');
        const id = parseIdValue(term);
        if (term.op === '==') plan.index(new Set([id]));
        plan.where((o) => compare(o.id, term.op, id));
        break;
      }
      case 'ids': {
        requireOps(term, '==');
        const ids = parseIdList(term);
        plan.index(ids).where((o) => ids.has(o.id));
        break;
      }
      case 'contact_id':
      case 'product_id':
      case 'invoice_id': {
        requireOps(term, '==');
        const id = String(parseIdValue(term));
        const index = term.field === 'contact_id' ? 'contact' : term.field === 'product_id' ? 'product' : 'invoice';
        const set = orders.lookup(index, id);
        plan.index(set).where((o) => set.has(o.id));
        break;
      }
      case 'paid': {
        requireOps(term, '==');
        const paid = parseBoolean(term);
        plan.index(orders.lookup('paid', String(paid))).where((o) => (orderStatus(o) === 'PAID') === paid);
        break;
      }
      case 'title':
        requireOps(term, '==');
        plan.where((o) => textMatches(o.title, term.value, true));
        break;
      case 'order_type':
        requireOps(term, '==');
        plan.where((o) => o.order_type === term.value.toUpperCase());
        break;
      case 'created_since_time':
      case 'created_until_time':
      case 'modified_since_time':
      case 'modified_until_time': {
        const t = parseTime(term);
        const since = term.field.includes('since');
        const created = term.field.startsWith('created');
        plan.where((o) => {
          const at = Date.parse(created ? o.creation_time : o.modification_time);
          return since ? at >= t : at <= t;
        });
        break;
      }
      case 'invoice_xid':
      case 'shipping_locality':
      case 'shipping_region_code':
      case 'shipping_postal_code':
      case 'shipping_country_code':
        notImplementedFilter(term.field);
        break;
      default: {
        // Custom fields by field_name (case-insensitive); standard fields above take precedence.
        const fid = [...ctx.state.orderFields.lookup('fieldName', textKey(term.field))][0];
        const field = fid === undefined ? undefined : ctx.state.orderFields.get(fid);
        if (!field) {
          throw badRequest(
            `Invalid filter field '${term.field}'. Allowed fields are: ${ORDER_FILTER_FIELDS.join(', ')}, or an order custom field's field_name`,
          );
        }
        customFieldTerm(ctx, plan, field, term);
      }
    }
  }
  return listPage(orders, plan, paging, 'orders', (o) => renderOrder(ctx, o));
}

export const orderOperations: OperationDef[] = [
  { operationId: 'listOrders', method: 'GET', path: '/rest/v2/orders', handler: listOrders },
  { operationId: 'createOrder', method: 'POST', path: '/rest/v2/orders', handler: createOrder },
  { operationId: 'getOrder', method: 'GET', path: '/rest/v2/orders/{order_id}', handler: getOrder },
  { operationId: 'deleteOrder', method: 'DELETE', path: '/rest/v2/orders/{order_id}', handler: deleteOrder },
];
