/**
 * Checkout → Keap product. The checkout's latest stored definition is made true in Keap: one product,
 * found by SKU and created or patched (only what differs), and for subscriptions exactly one active
 * subscription plan carrying the real cycle and price. Every step looks before it writes, so a retry
 * after a write whose reply was lost finds that write instead of repeating it.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AccountStore } from '../../accounts/account';
import type { CheckoutStore } from '../store';
import { CheckoutClient } from '../client';
import type { CheckoutDefinition, CheckoutSyncRecord, StoredCheckout } from '../checkout';
import { KEAP_CYCLE_TYPE, keapProductPrice, keapShortDescription } from '../checkout';
import type { KeapClient } from '../../keap/client';
import type {
  KeapProduct,
  KeapProductField,
  KeapProductUpdate,
  KeapSubscriptionPlan,
  KeapSubscriptionPlanField,
  KeapSubscriptionPlanWrite,
} from '../../keap/types';
import type { KeapAccess } from '../../activities/keap-access';
import type { CheckoutSyncResult, SyncChange } from '../workflow/definitions';

export interface ProductSyncDeps {
  accounts: AccountStore;
  /** Where the API stores published checkouts; required for checkout product sync. */
  checkouts?: CheckoutStore;
}

export interface CheckoutRef {
  accountId: string;
  checkoutId: string;
}

/** The product fields Sales Sync owns, as Keap should hold them. */
export interface DesiredProduct {
  name: string;
  price: number;
  short_description: string;
  active: boolean;
  description?: string;
}

export function desiredProduct(stored: StoredCheckout): DesiredProduct {
  const d = stored.definition;
  const product = {
    name: d.name,
    price: keapProductPrice(d.pricing),
    short_description: keapShortDescription(d),
    active: d.active,
  };
  // Without a description the checkout does not own Keap's long description: it is left as it is.
  return d.description === undefined ? product : { ...product, description: d.description };
}

/** The PATCH that makes `existing` match `desired`: only the fields that differ. */
export function productChanges(
  existing: KeapProduct,
  desired: DesiredProduct,
): { body: KeapProductUpdate; mask: KeapProductField[] } {
  const body: KeapProductUpdate = {};
  const mask: KeapProductField[] = [];
  if (existing.name !== desired.name) {
    body.name = desired.name;
    mask.push('name');
  }
  if (existing.price?.amount !== desired.price) {
    body.price = desired.price;
    mask.push('price');
  }
  if (existing.short_description !== desired.short_description) {
    body.short_description = desired.short_description;
    mask.push('short_description');
  }
  if (desired.description !== undefined && existing.description !== desired.description) {
    body.description = desired.description;
    mask.push('description');
  }
  if ((existing.active ?? true) !== desired.active) {
    body.active = desired.active;
    mask.push('active');
  }
  return { body, mask };
}

/** The subscription plan a subscription checkout's product carries: its cycle, every N cycles, its price, until cancelled. */
export function desiredPlan(definition: CheckoutDefinition): KeapSubscriptionPlanWrite | undefined {
  const pricing = definition.pricing;
  if (pricing.type !== 'subscription') return undefined;
  return {
    cycle_type: KEAP_CYCLE_TYPE[pricing.interval],
    frequency: pricing.intervalCount,
    plan_price: pricing.amount,
    total_cycles: 0,
    active: definition.active,
  };
}

function planDiff(plan: KeapSubscriptionPlan, desired: KeapSubscriptionPlanWrite): KeapSubscriptionPlanField[] {
  const mask: KeapSubscriptionPlanField[] = [];
  if (plan.cycle_type !== desired.cycle_type) mask.push('cycle_type');
  if ((plan.frequency ?? 1) !== desired.frequency) mask.push('frequency');
  if (plan.plan_price?.amount !== desired.plan_price) mask.push('plan_price');
  if ((plan.total_cycles ?? 0) !== desired.total_cycles) mask.push('total_cycles');
  if ((plan.active ?? true) !== desired.active) mask.push('active');
  return mask;
}

export interface PlanChanges {
  /** The plan to keep (and update with `mask` when not empty); none: create one. */
  keep?: { plan: KeapSubscriptionPlan; mask: KeapSubscriptionPlanField[] };
  create: boolean;
  /** Other active plans: deactivated, so the product shows exactly one. */
  deactivate: KeapSubscriptionPlan[];
}

/**
 * Which plan is ours: the one we created before (its id is remembered), else one that already
 * matches (an earlier attempt whose reply was lost), else an active one to update, else an inactive
 * one to reactivate; only without any plan is one created. Without a desired plan (the checkout is no
 * longer a subscription) every active plan is deactivated.
 */
export function planChanges(
  plans: readonly KeapSubscriptionPlan[],
  desired: KeapSubscriptionPlanWrite | undefined,
  knownPlanId: string | undefined,
): PlanChanges {
  if (!desired) return { create: false, deactivate: plans.filter((p) => p.active !== false) };
  const keep =
    plans.find((p) => p.id === knownPlanId) ??
    plans.find((p) => planDiff(p, desired).length === 0) ??
    plans.find((p) => planDiff(p, { ...desired, active: p.active ?? true }).length === 0) ??
    plans.find((p) => p.active !== false) ??
    plans[0];
  return {
    keep: keep && { plan: keep, mask: planDiff(keep, desired) },
    create: keep === undefined,
    deactivate: plans.filter((p) => p !== keep && p.active !== false),
  };
}

/** The body for deactivating a plan: the spec requires cycle_type and plan_price, which stay as they are. */
function deactivation(plan: KeapSubscriptionPlan): KeapSubscriptionPlanWrite {
  return { cycle_type: plan.cycle_type ?? 'MONTHLY', plan_price: plan.plan_price?.amount ?? 0, active: false };
}

async function syncPlans(
  keap: KeapClient,
  product: KeapProduct,
  created: boolean,
  desired: KeapSubscriptionPlanWrite | undefined,
  knownPlanId: string | undefined,
): Promise<{ planId?: string; plan?: SyncChange; plansDeactivated: number }> {
  // A product's own listing says whether it has active plans; without that field, ask when we ever made one.
  const listed = product.subscription_plans;
  const mayHavePlans = listed === undefined ? knownPlanId !== undefined : listed.some((p) => p.active !== false);
  if (!desired && (created || !mayHavePlans)) return { plansDeactivated: 0 };
  const plans = created ? [] : await keap.listSubscriptionPlans(product.id);
  const changes = planChanges(plans, desired, knownPlanId);
  for (const stale of changes.deactivate) {
    await keap.updateSubscriptionPlan(product.id, stale.id, deactivation(stale), ['active']);
  }
  if (!desired) return { plansDeactivated: changes.deactivate.length };
  if (changes.keep) {
    const { plan, mask } = changes.keep;
    if (mask.length > 0) await keap.updateSubscriptionPlan(product.id, plan.id, desired, mask);
    return {
      planId: plan.id,
      plan: mask.length > 0 ? 'updated' : 'unchanged',
      plansDeactivated: changes.deactivate.length,
    };
  }
  const plan = await keap.createSubscriptionPlan(product.id, desired);
  return { planId: plan.id, plan: 'created', plansDeactivated: changes.deactivate.length };
}

function requireStore(deps: ProductSyncDeps): CheckoutStore {
  if (deps.checkouts) return deps.checkouts;
  throw ApplicationFailure.create({
    message: 'This worker has no checkout store configured (activities deps `checkouts`)',
    type: 'CheckoutStoreMissing',
    nonRetryable: true,
  });
}

async function requireCheckout(store: CheckoutStore, { accountId, checkoutId }: CheckoutRef): Promise<StoredCheckout> {
  const stored = await store.get(accountId, checkoutId);
  if (stored) return stored;
  throw ApplicationFailure.create({
    message: `Checkout ${checkoutId} of account ${accountId} is not stored`,
    type: 'CheckoutNotFound',
    nonRetryable: true,
  });
}

export function productSyncActivities(access: KeapAccess, deps: ProductSyncDeps) {
  return {
    /**
     * Makes Keap's product (and subscription plan) match the checkout's LATEST stored version, and
     * records the outcome in the checkout store. With Sales Sync off it writes nothing to Keap and
     * records NotSynced. Safe to retry.
     */
    async syncCheckoutProduct(ref: CheckoutRef): Promise<CheckoutSyncResult> {
      const store = requireStore(deps);
      const stored = await requireCheckout(store, ref);
      const previous = await store.getSync(ref.accountId, ref.checkoutId);
      const base = {
        accountId: ref.accountId,
        checkoutId: ref.checkoutId,
        version: stored.version,
        sku: stored.sku,
        currency: stored.definition.currency,
        plansDeactivated: 0,
      };
      const account = await deps.accounts.get(ref.accountId);
      if (!account) {
        throw ApplicationFailure.create({
          message: `Account ${ref.accountId} does not exist`,
          type: 'AccountNotFound',
          nonRetryable: true,
        });
      }
      if (!account.salesSyncEnabled) {
        const reason = 'Sales Sync is turned off for this account; the checkout syncs by itself when it is turned on.';
        await store.putSync(ref.accountId, ref.checkoutId, {
          ...keptIds(previous),
          version: stored.version,
          outcome: 'NotSynced',
          syncedVersion: previous?.syncedVersion ?? 0,
          reason,
          at: new Date().toISOString(),
        });
        return { ...base, status: 'NotSynced', reason };
      }

      const result = await access.run(ref.accountId, async ({ keap }) => {
        const desired = desiredProduct(stored);
        let product = await keap.findProductBySku(stored.sku);
        let change: SyncChange;
        if (!product) {
          product = await keap.createProduct({ ...desired, sku: stored.sku });
          change = 'created';
        } else {
          const { body, mask } = productChanges(product, desired);
          if (mask.length > 0) await keap.updateProduct(product.id, body, mask);
          change = mask.length > 0 ? 'updated' : 'unchanged';
        }
        const knownPlanId = previous?.keapProductId === product.id ? previous.keapSubscriptionPlanId : undefined;
        const plans = await syncPlans(keap, product, change === 'created', desiredPlan(stored.definition), knownPlanId);
        const synced: CheckoutSyncResult = {
          ...base,
          status: stored.definition.active ? 'Synced' : 'Deactivated',
          keapProductId: product.id,
          keapPrice: desired.price,
          product: change,
          plansDeactivated: plans.plansDeactivated,
        };
        if (plans.planId) synced.keapSubscriptionPlanId = plans.planId;
        if (plans.plan) synced.plan = plans.plan;
        return synced;
      });

      const record: CheckoutSyncRecord = {
        version: stored.version,
        outcome: result.status === 'Deactivated' ? 'Deactivated' : 'Synced',
        syncedVersion: stored.version,
        keapProductId: result.keapProductId,
        keapPrice: result.keapPrice,
        at: new Date().toISOString(),
      };
      if (result.keapSubscriptionPlanId) record.keapSubscriptionPlanId = result.keapSubscriptionPlanId;
      await store.putSync(ref.accountId, ref.checkoutId, record);
      return result;
    },

    /** Records that Keap rejected the checkout's sync (NeedsAttention), keeping what was synced before. */
    async recordCheckoutSyncFailure(input: CheckoutRef & { error: string }): Promise<void> {
      const store = requireStore(deps);
      const stored = await store.get(input.accountId, input.checkoutId);
      const previous = await store.getSync(input.accountId, input.checkoutId);
      await store.putSync(input.accountId, input.checkoutId, {
        ...keptIds(previous),
        version: stored?.version ?? previous?.version ?? 0,
        outcome: 'NeedsAttention',
        syncedVersion: previous?.syncedVersion ?? 0,
        reason: input.error,
        at: new Date().toISOString(),
      });
    },

    /** One page of the account's checkout ids (after `after`, in code-unit order), and how many there are. */
    async listCheckoutIds(input: {
      accountId: string;
      after?: string;
      limit: number;
    }): Promise<{ ids: string[]; total: number }> {
      const all = await requireStore(deps).listIds(input.accountId);
      const after = input.after;
      const rest = after === undefined ? all : all.filter((id) => id > after);
      return { ids: rest.slice(0, input.limit), total: all.length };
    },

    /**
     * Asks a checkout's workflow to sync its latest version and to report to `notifyWorkflowId`
     * (signal-with-start, so an idle checkout's workflow starts again). False when no such checkout is stored.
     */
    async requestCheckoutSync(input: CheckoutRef & { notifyWorkflowId: string }): Promise<boolean> {
      const store = requireStore(deps);
      const stored = await store.get(input.accountId, input.checkoutId);
      if (!stored) return false;
      const context = Context.current();
      await new CheckoutClient(context.client, context.info.taskQueue, store).signalPublished(
        stored,
        input.notifyWorkflowId,
      );
      return true;
    },
  };
}

function keptIds(previous: CheckoutSyncRecord | undefined): Partial<CheckoutSyncRecord> {
  const kept: Partial<CheckoutSyncRecord> = {};
  if (previous?.keapProductId) kept.keapProductId = previous.keapProductId;
  if (previous?.keapSubscriptionPlanId) kept.keapSubscriptionPlanId = previous.keapSubscriptionPlanId;
  if (previous?.keapPrice !== undefined) kept.keapPrice = previous.keapPrice;
  return kept;
}
