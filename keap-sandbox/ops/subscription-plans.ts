// Subscription plans of a product: listSubscriptionPlans, createSubscriptionPlans, fetchSubscriptionPlan,
// updateSubscriptionPlan. Requests carry plan_price as a number in the smallest currency unit (kept as
// integer minor units, rounded once); responses render the spec's `SubscriptionPlan` (plan_price as a
// CurrencyValue), and products list their plans as `SubscriptionPlan_Detail` / `SubscriptionPlan_List`.
import { z } from 'zod';
import { parseBody, parseUpdateMask } from '../body';
import { badRequest, notFound } from '../errors';
import { QueryPlan, parseBoolean, parseFilter, parseId, requireOps, unknownFilterField } from '../filter';
import { listPage, parsePaging } from '../paging';
import type { ProductRecord, SubscriptionPlanRecord } from '../store/records';
import { checkOrderBy, compact, mustGet } from './common';
import type { OpContext, OperationDef, OpRequest, OpResult } from './types';

const CYCLE_TYPES = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const;
const int32 = z.number().int().max(2_147_483_647);
/** "The price of the subscription plan in the smallest currency unit. Must be greater than or equal to 0." */
const planPrice = z.number().min(0).max(Number.MAX_SAFE_INTEGER);

const planFields = {
  active: z.boolean().optional(),
  /** "The frequency of the subscription plan. Must be greater than 0." */
  frequency: int32.min(1).optional(),
  allow_prorating: z.boolean().optional(),
  display_order_index: int32.min(0).optional(),
  /** "How many cycles the subscription plan will have. 0 means infinite." */
  total_cycles: int32.min(0).optional(),
};

/** CreateSubscriptionPlanRequest and UpdateSubscriptionPlanRequest: both require cycle_type and plan_price. */
const SubscriptionPlanRequest = z.object({
  ...planFields,
  cycle_type: z.enum(CYCLE_TYPES),
  plan_price: planPrice,
});
type SubscriptionPlanRequest = z.infer<typeof SubscriptionPlanRequest>;

/** updateSubscriptionPlan's update_mask enum, from the spec. */
const PLAN_MASK_FIELDS = [
  'active',
  'allow_prorating',
  'cycle_type',
  'display_order_index',
  'frequency',
  'plan_price',
  'total_cycles',
] as const;
type PlanMaskField = (typeof PLAN_MASK_FIELDS)[number];

const CYCLE_WORDS: Record<SubscriptionPlanRecord['cycle_type'], [string, string]> = {
  DAILY: ['Daily', 'Days'],
  WEEKLY: ['Weekly', 'Weeks'],
  MONTHLY: ['Monthly', 'Months'],
  YEARLY: ['Yearly', 'Years'],
};

/** Keap names plans after their product and cycle, e.g. "Course - Monthly", "Course - Every 3 Months". */
function planName(product: ProductRecord | undefined, plan: SubscriptionPlanRecord): string {
  const [single, plural] = CYCLE_WORDS[plan.cycle_type];
  const cycle = plan.frequency === 1 ? single : `Every ${plan.frequency} ${plural}`;
  return product ? `${product.name} - ${cycle}` : cycle;
}

/** The spec's `SubscriptionPlan` (the plan endpoints' responses). */
function renderPlan(ctx: OpContext, plan: SubscriptionPlanRecord): Record<string, unknown> {
  return {
    id: String(plan.id),
    frequency: plan.frequency,
    active: plan.active,
    subscription_plan_name: planName(ctx.state.products.get(plan.productId), plan),
    cycle_type: plan.cycle_type,
    total_cycles: plan.total_cycles,
    plan_price: ctx.money.value(plan.priceMinor),
    display_order_index: plan.display_order_index,
  };
}

/** `SubscriptionPlan_Detail` / `SubscriptionPlan_List`: how a product (getProduct, listProducts) lists its plans. */
export function renderProductPlans(ctx: OpContext, productId: number): Record<string, unknown>[] {
  return [...ctx.state.subscriptionPlans.lookup('product', String(productId))]
    .sort((a, b) => a - b)
    .map((id) => ctx.state.subscriptionPlans.get(id))
    .filter((p): p is SubscriptionPlanRecord => p !== undefined)
    .map((p) =>
      compact({
        id: String(p.id),
        active: p.active,
        prorate: p.allow_prorating,
        billing_cycle: p.cycle_type,
        billing_frequency: p.frequency,
        number_of_cycles: p.total_cycles,
        plan_price: ctx.money.value(p.priceMinor),
        order_index: p.display_order_index,
      }),
    );
}

/** The plan must exist and belong to the product in the path. */
function mustGetPlan(ctx: OpContext, req: OpRequest): { product: ProductRecord; plan: SubscriptionPlanRecord } {
  const product = mustGet(ctx.state.products, 'Product', req.params.product_id);
  const planId = req.params.subscription_plan_id ?? '';
  const id = parseId(planId);
  const plan = id === undefined ? undefined : ctx.state.subscriptionPlans.get(id);
  if (!plan || plan.productId !== product.id) throw notFound('SubscriptionPlan', planId);
  return { product, plan };
}

function createSubscriptionPlan(ctx: OpContext, req: OpRequest): OpResult {
  const product = mustGet(ctx.state.products, 'Product', req.params.product_id);
  const body = parseBody(SubscriptionPlanRequest, req.body, 'CreateSubscriptionPlanRequest');
  const now = ctx.now();
  const plan = ctx.state.subscriptionPlans.insert({
    id: ctx.state.subscriptionPlans.nextId(),
    productId: product.id,
    active: body.active ?? true,
    allow_prorating: body.allow_prorating ?? false,
    cycle_type: body.cycle_type,
    frequency: body.frequency ?? 1,
    priceMinor: Math.round(body.plan_price),
    total_cycles: body.total_cycles ?? 0,
    display_order_index: body.display_order_index ?? 0,
    create_time: now,
    update_time: now,
  });
  return { status: 201, body: renderPlan(ctx, plan) };
}

function fetchSubscriptionPlan(ctx: OpContext, req: OpRequest): OpResult {
  return { status: 200, body: renderPlan(ctx, mustGetPlan(ctx, req).plan) };
}

function applyPlanField(plan: SubscriptionPlanRecord, field: PlanMaskField, body: SubscriptionPlanRequest): void {
  switch (field) {
    case 'cycle_type':
      plan.cycle_type = body.cycle_type;
      return;
    case 'plan_price':
      plan.priceMinor = Math.round(body.plan_price);
      return;
    case 'frequency':
      if (body.frequency === undefined) throw badRequest('frequency is in update_mask but missing from the body');
      plan.frequency = body.frequency;
      return;
    case 'active':
    case 'allow_prorating':
      plan[field] = body[field] ?? false;
      return;
    case 'display_order_index':
    case 'total_cycles':
      plan[field] = body[field] ?? 0;
      return;
  }
}

function updateSubscriptionPlan(ctx: OpContext, req: OpRequest): OpResult {
  const { plan } = mustGetPlan(ctx, req);
  const body = parseBody(SubscriptionPlanRequest, req.body, 'UpdateSubscriptionPlanRequest');
  const mask = parseUpdateMask(req.query, PLAN_MASK_FIELDS);
  const fields = mask
    ? PLAN_MASK_FIELDS.filter((f) => mask.has(f))
    : PLAN_MASK_FIELDS.filter((f) => body[f] !== undefined);
  if (mask?.has('frequency') && body.frequency === undefined) {
    throw badRequest('frequency is in update_mask but missing from the body');
  }
  ctx.state.subscriptionPlans.update(plan, (p) => {
    for (const f of fields) applyPlanField(p, f, body);
    p.update_time = ctx.now();
  });
  return { status: 200, body: renderPlan(ctx, plan) };
}

const PLAN_FILTER_FIELDS = ['active', 'cycle_type'];

function listSubscriptionPlans(ctx: OpContext, req: OpRequest): OpResult {
  const paging = parsePaging(req.query, 'subscriptions');
  // "'-' can be used for a wildcard": the plans of every product.
  const wildcard = req.params.product_id === '-';
  const product = wildcard ? undefined : mustGet(ctx.state.products, 'Product', req.params.product_id);
  // Plans come in id order; for one product that is also product_id order.
  checkOrderBy(req.query, wildcard ? ['id'] : ['id', 'product_id']);
  const plan = new QueryPlan<SubscriptionPlanRecord>();
  if (product) plan.index(ctx.state.subscriptionPlans.lookup('product', String(product.id)));
  for (const term of parseFilter(req.query.get('filter'))) {
    switch (term.field) {
      case 'active': {
        requireOps(term, '==');
        const active = parseBoolean(term);
        plan.where((p) => p.active === active);
        break;
      }
      case 'cycle_type': {
        requireOps(term, '==');
        const cycle = term.value.toUpperCase();
        if (!(CYCLE_TYPES as readonly string[]).includes(cycle)) {
          throw badRequest(`Invalid cycle_type '${term.value}' (allowed: ${CYCLE_TYPES.join(', ')})`);
        }
        plan.where((p) => p.cycle_type === cycle);
        break;
      }
      default:
        unknownFilterField(term, PLAN_FILTER_FIELDS);
    }
  }
  return listPage(ctx.state.subscriptionPlans, plan, paging, 'subscriptions', (p) => renderPlan(ctx, p));
}

export const subscriptionPlanOperations: OperationDef[] = [
  {
    operationId: 'listSubscriptionPlans',
    method: 'GET',
    path: '/rest/v2/products/{product_id}/subscriptions',
    handler: listSubscriptionPlans,
  },
  {
    operationId: 'createSubscriptionPlans',
    method: 'POST',
    path: '/rest/v2/products/{product_id}/subscriptions',
    handler: createSubscriptionPlan,
  },
  {
    operationId: 'fetchSubscriptionPlan',
    method: 'GET',
    path: '/rest/v2/products/{product_id}/subscriptions/{subscription_plan_id}',
    handler: fetchSubscriptionPlan,
  },
  {
    operationId: 'updateSubscriptionPlan',
    method: 'PATCH',
    path: '/rest/v2/products/{product_id}/subscriptions/{subscription_plan_id}',
    handler: updateSubscriptionPlan,
  },
];
