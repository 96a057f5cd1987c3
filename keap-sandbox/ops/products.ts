// Products: listProducts, getProduct, createProduct, updateProduct. Prices come in as int64 minor units and
// go out as CurrencyValue_Detail {amount (minor units), currency_code, formatted_amount}.
import { z } from 'zod';
import { parseBody, parseUpdateMask } from '../body';
import { badRequest } from '../errors';
import {
  QueryPlan,
  compare,
  isWildcard,
  parseFilter,
  parseIdList,
  parseIdValue,
  requireOps,
  textKey,
  textMatches,
  unknownFilterField,
} from '../filter';
import { listPage, parsePaging } from '../paging';
import type { ProductRecord } from '../store/records';
import { checkOrderBy, compact, mustGet } from './common';
import { renderProductPlans } from './subscription-plans';
import type { OpContext, OperationDef, OpRequest, OpResult } from './types';

const nonBlank = z.string().refine((s) => s.trim() !== '', { message: 'must not be blank' });
const minorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const Inventory = z.object({
  inventory_limit: z.number().int().min(0).optional(),
  inventory_count: z.number().int().min(0).optional(),
  out_of_stock_enabled: z.boolean().optional(),
  email_for_inventory_notifications: z.string().optional(),
});

const productFields = {
  sku: z.string().optional(),
  active: z.boolean().optional(),
  description: z.string().optional(),
  shippable: z.boolean().optional(),
  weight: z.number().min(0).optional(),
  taxable: z.boolean().optional(),
  subscription_only: z.boolean().optional(),
  storefront_hidden: z.boolean().optional(),
  country_taxable: z.boolean().optional(),
  state_taxable: z.boolean().optional(),
  city_taxable: z.boolean().optional(),
  top_html: z.string().optional(),
  bottom_html: z.string().optional(),
  is_package: z.boolean().optional(),
  needs_digital_delivery: z.boolean().optional(),
  delivery_description: z.string().optional(),
};

/** CreateProductRequest_Detail: name, price and short_description are required. */
const CreateProductRequest = z.object({
  ...productFields,
  name: nonBlank,
  price: minorUnits,
  short_description: z.string(),
  inventory: Inventory.optional(),
});

/** UpdateProductRequest_Detail: all optional; inventory settings are flattened. */
const UpdateProductRequest = z.object({
  ...productFields,
  name: nonBlank.optional(),
  price: minorUnits.optional(),
  short_description: z.string().optional(),
  inventory_limit: z.number().int().min(0).optional(),
  out_of_stock_enabled: z.boolean().optional(),
  email_for_inventory_notifications: z.string().optional(),
});
type UpdateProductRequest = z.infer<typeof UpdateProductRequest>;

/** updateProduct's update_mask enum, from the spec. */
const PRODUCT_MASK_FIELDS = [
  'active',
  'name',
  'description',
  'price',
  'sku',
  'shippable',
  'short_description',
  'subscription_only',
  'storefront_hidden',
  'weight',
  'taxable',
  'country_taxable',
  'city_taxable',
  'state_taxable',
  'inventory_limit',
  'out_of_stock_enabled',
  'email_for_inventory_notifications',
  'top_html',
  'bottom_html',
  'is_package',
  'needs_digital_delivery',
  'delivery_description',
] as const;
type MaskField = (typeof PRODUCT_MASK_FIELDS)[number];

const REQUIRED_ON_PRODUCT: readonly MaskField[] = ['name', 'price', 'short_description'];
const BOOLEAN_FIELDS = [
  'active',
  'shippable',
  'taxable',
  'subscription_only',
  'storefront_hidden',
  'country_taxable',
  'state_taxable',
  'city_taxable',
  'is_package',
  'needs_digital_delivery',
] as const;
type OptionalStringField = 'sku' | 'description' | 'top_html' | 'bottom_html' | 'delivery_description';

export function renderProduct(ctx: OpContext, p: ProductRecord, list = false): Record<string, unknown> {
  const inventory = list ? compact({ ...p.inventory, inventory_count: undefined }) : p.inventory;
  return compact({
    id: String(p.id),
    name: p.name,
    price: ctx.money.value(p.priceMinor),
    active: p.active,
    description: p.description,
    sku: p.sku,
    shippable: p.shippable,
    weight: p.weight,
    taxable: p.taxable,
    categories: [],
    options: [],
    inventory,
    short_description: p.short_description,
    subscription_only: p.subscription_only,
    storefront_hidden: p.storefront_hidden,
    country_taxable: p.country_taxable,
    state_taxable: p.state_taxable,
    city_taxable: p.city_taxable,
    subscription_plans: renderProductPlans(ctx, p.id),
    top_html: p.top_html,
    bottom_html: p.bottom_html,
    is_package: p.is_package,
    needs_digital_delivery: p.needs_digital_delivery,
    has_legacy_image: false,
    delivery_description: p.delivery_description,
    create_time: p.create_time,
    update_time: p.update_time,
  });
}

function createProduct(ctx: OpContext, req: OpRequest): OpResult {
  const body = parseBody(CreateProductRequest, req.body, 'CreateProductRequest');
  const now = ctx.now();
  const product = ctx.state.products.insert(
    compact({
      id: ctx.state.products.nextId(),
      name: body.name,
      priceMinor: body.price,
      short_description: body.short_description,
      sku: body.sku,
      active: body.active ?? true,
      description: body.description,
      shippable: body.shippable ?? false,
      weight: body.weight,
      taxable: body.taxable ?? false,
      inventory: compact({ ...body.inventory }),
      subscription_only: body.subscription_only ?? false,
      storefront_hidden: body.storefront_hidden ?? false,
      country_taxable: body.country_taxable ?? false,
      state_taxable: body.state_taxable ?? false,
      city_taxable: body.city_taxable ?? false,
      top_html: body.top_html,
      bottom_html: body.bottom_html,
      is_package: body.is_package ?? false,
      needs_digital_delivery: body.needs_digital_delivery ?? false,
      delivery_description: body.delivery_description,
      create_time: now,
      update_time: now,
    }),
  );
  return { status: 201, body: renderProduct(ctx, product) };
}

function getProduct(ctx: OpContext, req: OpRequest): OpResult {
  return { status: 200, body: renderProduct(ctx, mustGet(ctx.state.products, 'Product', req.params.product_id)) };
}

/** Applies one field; `undefined` clears it (a masked field absent from the body). */
function applyField(p: ProductRecord, field: MaskField, body: UpdateProductRequest): void {
  switch (field) {
    case 'name':
      if (body.name === undefined) throw badRequest('name is in update_mask but missing from the body');
      p.name = body.name;
      return;
    case 'price':
      if (body.price === undefined) throw badRequest('price is in update_mask but missing from the body');
      p.priceMinor = body.price;
      return;
    case 'short_description':
      if (body.short_description === undefined) {
        throw badRequest('short_description is in update_mask but missing from the body');
      }
      p.short_description = body.short_description;
      return;
    case 'weight':
      p.weight = body.weight;
      return;
    case 'inventory_limit':
    case 'out_of_stock_enabled':
    case 'email_for_inventory_notifications':
      p.inventory = compact({ ...p.inventory, [field]: body[field] });
      return;
    default:
      if ((BOOLEAN_FIELDS as readonly string[]).includes(field)) {
        const f = field as (typeof BOOLEAN_FIELDS)[number];
        p[f] = body[f] ?? false;
      } else {
        const f = field as OptionalStringField;
        if (body[f] === undefined) delete p[f];
        else p[f] = body[f];
      }
  }
}

function updateProduct(ctx: OpContext, req: OpRequest): OpResult {
  const product = mustGet(ctx.state.products, 'Product', req.params.product_id);
  const body = parseBody(UpdateProductRequest, req.body, 'UpdateProductRequest');
  const mask = parseUpdateMask(req.query, PRODUCT_MASK_FIELDS);
  const fields = mask
    ? PRODUCT_MASK_FIELDS.filter((f) => mask.has(f))
    : PRODUCT_MASK_FIELDS.filter((f) => body[f] !== undefined);
  for (const f of REQUIRED_ON_PRODUCT) {
    if (fields.includes(f) && body[f] === undefined)
      throw badRequest(`${f} is in update_mask but missing from the body`);
  }
  ctx.state.products.update(product, (p) => {
    for (const f of fields) applyField(p, f, body);
    p.update_time = ctx.now();
  });
  return { status: 200, body: renderProduct(ctx, product) };
}

const PRODUCT_FILTER_FIELDS = ['name', 'sku', 'description', 'short_description', 'product_id', 'product_ids'];

function listProducts(ctx: OpContext, req: OpRequest): OpResult {
  const paging = parsePaging(req.query, 'products');
  checkOrderBy(req.query, ['id']);
  const plan = new QueryPlan<ProductRecord>();
  for (const term of parseFilter(req.query.get('filter'))) {
    switch (term.field) {
      case 'name':
      case 'sku': {
        requireOps(term, '==');
        const field = term.field;
        if (!isWildcard(term.value)) plan.index(ctx.state.products.lookup(field, textKey(term.value)));
        plan.where((p) => textMatches(p[field], term.value, true));
        break;
      }
      case 'description':
      case 'short_description': {
        requireOps(term, '==');
        const field = term.field;
        plan.where((p) => textMatches(p[field], term.value, true));
        break;
      }
      case 'product_id': {
        requireOps(term, '==', '>', '<', '>=', '<=');
        const id = parseIdValue(term);
        if (term.op === '==') plan.index(new Set([id]));
        plan.where((p) => compare(p.id, term.op, id));
        break;
      }
      case 'product_ids': {
        requireOps(term, '==');
        const ids = parseIdList(term);
        plan.index(ids).where((p) => ids.has(p.id));
        break;
      }
      default:
        unknownFilterField(term, PRODUCT_FILTER_FIELDS);
    }
  }
  return listPage(ctx.state.products, plan, paging, 'products', (p) => renderProduct(ctx, p, true));
}

export const productOperations: OperationDef[] = [
  { operationId: 'listProducts', method: 'GET', path: '/rest/v2/products', handler: listProducts },
  { operationId: 'createProduct', method: 'POST', path: '/rest/v2/products', handler: createProduct },
  { operationId: 'getProduct', method: 'GET', path: '/rest/v2/products/{product_id}', handler: getProduct },
  { operationId: 'updateProduct', method: 'PATCH', path: '/rest/v2/products/{product_id}', handler: updateProduct },
];
