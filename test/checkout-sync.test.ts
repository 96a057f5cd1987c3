/** The rules of checkout product sync, without a server: SKUs, Keap prices and texts, plan choice (the store: postgres-stores.test.ts). */
import { strict as assert } from 'node:assert';
import { desiredPlan, planChanges, productChanges, desiredProduct } from '../checkouts/activities/product-sync';
import type { CheckoutDefinition, StoredCheckout } from '../checkouts/checkout';
import { keapProductPrice, keapShortDescription } from '../checkouts/checkout';
import { checkoutPutSchema, derivedCheckoutSku } from '../checkouts/checkout-schema';
import type { KeapSubscriptionPlan } from '../keap/types';

const definition = (overrides: Partial<CheckoutDefinition> = {}): CheckoutDefinition => ({
  name: 'The Course',
  currency: 'USD',
  pricing: { type: 'one_time', amount: 4900 },
  active: true,
  ...overrides,
});

const stored = (def: CheckoutDefinition, version = 1): StoredCheckout => ({
  accountId: 'a',
  checkoutId: 'c',
  version,
  sku: 'SKU-1',
  skuDerived: false,
  definition: def,
  publishedAt: '2026-11-21T10:00:00Z',
  firstPublishedAt: '2026-11-21T10:00:00Z',
});

describe('checkout product sync rules', () => {
  describe('derived SKU', () => {
    it('is CHK-{accountId}-{checkoutId} when that fits in 64 characters', () => {
      assert.equal(derivedCheckoutSku('acme', 'spring_sale.v2'), 'CHK-acme-spring_sale.v2');
    });

    it('is cut to 64 characters with a hash of both ids when longer, stable and distinct', () => {
      const long = 'x'.repeat(90);
      const a = derivedCheckoutSku('acme', `${long}-1`);
      const b = derivedCheckoutSku('acme', `${long}-2`);
      assert.equal(a.length, 64);
      assert.match(a, /^CHK-acme-x+-[0-9a-f]{8}$/);
      assert.notEqual(a, b);
      assert.equal(derivedCheckoutSku('acme', `${long}-1`), a);
    });
  });

  describe('the PUT body', () => {
    it('accepts the three pricings and rejects unknown fields and unsearchable SKUs', () => {
      for (const pricing of [
        { type: 'one_time', amount: 0 },
        { type: 'payment_plan', installments: 3, installmentAmount: 10000, interval: 'month', intervalCount: 1 },
        { type: 'subscription', amount: 2900, interval: 'year', intervalCount: 1, trialDays: 14 },
      ]) {
        assert.ok(checkoutPutSchema.safeParse({ ...definition(), pricing }).success, JSON.stringify(pricing));
      }
      assert.equal(checkoutPutSchema.safeParse({ ...definition(), sku: 'A*' }).success, false);
      assert.equal(checkoutPutSchema.safeParse({ ...definition(), extra: 1 }).success, false);
      const amount = { type: 'one_time', amount: 19.99 };
      assert.equal(checkoutPutSchema.safeParse({ ...definition(), pricing: amount }).success, false);
    });
  });

  it('prices one-time at its amount, a payment plan at its full total and a subscription at 0', () => {
    assert.equal(keapProductPrice({ type: 'one_time', amount: 4900 }), 4900);
    assert.equal(
      keapProductPrice({
        type: 'payment_plan',
        installments: 12,
        installmentAmount: 2500,
        interval: 'month',
        intervalCount: 1,
      }),
      30000,
    );
    assert.equal(keapProductPrice({ type: 'subscription', amount: 2900, interval: 'month', intervalCount: 1 }), 0);
  });

  it('makes a short description of at most 250 characters, cut at a word', () => {
    assert.equal(keapShortDescription({ name: 'Course' }), 'Course');
    assert.equal(keapShortDescription({ name: 'Course', description: ' Two\n lines ' }), 'Two lines');
    const short = keapShortDescription({ name: 'Course', description: 'word '.repeat(100) });
    assert.ok(Array.from(short).length <= 250);
    assert.match(short, /word…$/);
  });

  it('patches only the product fields that differ, and leaves a long description it does not own', () => {
    const desired = desiredProduct(stored(definition()));
    const same = productChanges(
      { id: '1', name: 'The Course', price: { amount: 4900 }, short_description: 'The Course', active: true },
      desired,
    );
    assert.deepEqual(same.mask, []);
    const changed = productChanges(
      { id: '1', name: 'Old', price: { amount: 100 }, short_description: 'The Course', description: 'mine' },
      desiredProduct(stored(definition({ active: false }))),
    );
    assert.deepEqual(changed.mask, ['name', 'price', 'active']);
    assert.deepEqual(changed.body, { name: 'The Course', price: 4900, active: false });
  });

  describe('subscription plan choice', () => {
    const desired = desiredPlan(
      definition({ pricing: { type: 'subscription', amount: 2900, interval: 'month', intervalCount: 3 } }),
    );
    const plan = (id: string, overrides: Partial<KeapSubscriptionPlan> = {}): KeapSubscriptionPlan => ({
      id,
      cycle_type: 'MONTHLY',
      frequency: 3,
      plan_price: { amount: 2900 },
      total_cycles: 0,
      active: true,
      ...overrides,
    });

    it('maps the interval to cycle_type, intervalCount to frequency, the amount to plan_price in minor units', () => {
      assert.deepEqual(desired, {
        cycle_type: 'MONTHLY',
        frequency: 3,
        plan_price: 2900,
        total_cycles: 0,
        active: true,
      });
    });

    it('creates a plan only when the product has none', () => {
      assert.deepEqual(planChanges([], desired, undefined), { keep: undefined, create: true, deactivate: [] });
    });

    it('keeps a matching plan (a create whose reply was lost) and deactivates other active ones', () => {
      const changes = planChanges(
        [plan('1', { cycle_type: 'YEARLY' }), plan('2'), plan('3', { active: false })],
        desired,
        undefined,
      );
      assert.equal(changes.keep?.plan.id, '2');
      assert.deepEqual(changes.keep?.mask, []);
      assert.deepEqual(
        changes.deactivate.map((p) => p.id),
        ['1'],
      );
    });

    it('updates the plan it made before rather than adding one', () => {
      const changes = planChanges([plan('7', { plan_price: { amount: 1900 }, frequency: 1 }), plan('8')], desired, '7');
      assert.equal(changes.keep?.plan.id, '7');
      assert.deepEqual(changes.keep?.mask, ['frequency', 'plan_price']);
      assert.equal(changes.create, false);
      assert.deepEqual(
        changes.deactivate.map((p) => p.id),
        ['8'],
      );
    });

    it('deactivates every active plan when the checkout is no longer a subscription', () => {
      const changes = planChanges([plan('1'), plan('2', { active: false })], undefined, '1');
      assert.deepEqual(
        changes.deactivate.map((p) => p.id),
        ['1'],
      );
    });
  });
});
