/**
 * Checkout product sync end to end: real HTTP API → checkout workflows on a real Temporal dev server →
 * worker → Keap sandbox, checked through the sandbox's own Keap API. A publish makes one Keap product
 * (found by SKU, never duplicated), republishes update it, unpublishing deactivates it, subscriptions
 * sync at price 0 with one subscription plan carrying the real cycle and price, and a resync brings
 * every stored checkout into Keap with bounded concurrency.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { getStack } from './support/stack';
import type { Stack } from './support/stack';
import { createAccount, keapGet, uniqueId, waitFor } from './support/fixtures';

describe('checkout product sync end to end', function () {
  this.timeout(60_000);
  let stack: Stack;
  let accountId: string;

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    accountId = await createAccount(stack);
  });

  afterEach(() => stack.sandbox.faults.clear());

  const checkout = (overrides: Record<string, unknown> = {}) => ({
    name: 'The Course',
    currency: 'USD',
    pricing: { type: 'one_time', amount: 4900 },
    active: true,
    ...overrides,
  });

  async function publish(checkoutId: string, body: unknown, account = accountId) {
    const res = await stack.call('PUT', `/v1/accounts/${account}/checkouts/${checkoutId}`, body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body;
  }

  async function synced(checkoutId: string, version: number, status = 'Synced', account = accountId) {
    return waitFor(`checkout ${checkoutId} version ${version} to be ${status}`, async () => {
      const res = await stack.call('GET', `/v1/accounts/${account}/checkouts/${checkoutId}`);
      if (res.status !== 200) return undefined;
      // NotSynced writes nothing, so its syncedVersion stays at the last version written to Keap.
      const written = status === 'NotSynced' || res.body.syncedVersion === version;
      return res.body.version === version && written && res.body.status === status ? res.body : undefined;
    });
  }

  /** Products whose SKU is exactly `sku` (Keap's filter is case-insensitive), or start with it when it ends with `*`. */
  async function keapProducts(sku: string): Promise<any[]> {
    const res = await keapGet(stack, `/products?filter=${encodeURIComponent(`sku==${sku}`)}&page_size=1000`);
    return sku.endsWith('*') ? res.products : res.products.filter((p: any) => p.sku === sku);
  }

  const keapPlans = async (productId: string): Promise<any[]> =>
    (await keapGet(stack, `/products/${productId}/subscriptions`)).subscriptions;

  it('publishes one Keap product with the derived SKU and the price; a republish updates the same product', async () => {
    const checkoutId = uniqueId('chk');
    const accepted = await publish(checkoutId, checkout());
    const sku = `CHK-${accountId}-${checkoutId}`;
    assert.deepEqual(accepted, {
      checkoutId,
      sku,
      version: 1,
      workflowId: `checkout:${accountId}:${checkoutId}`,
      syncStatusUrl: `/v1/accounts/${accountId}/checkouts/${checkoutId}`,
    });

    const first = await synced(checkoutId, 1);
    assert.equal(first.sku, sku);
    assert.equal(first.skuDerived, true);
    assert.equal(first.keapPrice, 4900);
    let [product, ...others] = await keapProducts(sku);
    assert.equal(others.length, 0);
    assert.equal(product.id, first.keapProductId);
    assert.equal(product.name, 'The Course');
    assert.equal(product.price.amount, 4900);
    assert.equal(product.short_description, 'The Course');
    assert.equal(product.active, true);

    const description = `${'A thorough course on analytical engines. '.repeat(8)}The end.`;
    await publish(
      checkoutId,
      checkout({ name: 'The Course, 2nd ed.', description, pricing: { type: 'one_time', amount: 5900 } }),
    );
    const second = await synced(checkoutId, 2);
    assert.equal(second.keapProductId, first.keapProductId);
    [product, ...others] = await keapProducts(sku);
    assert.equal(others.length, 0, 'still one product for the SKU');
    assert.equal(product.id, first.keapProductId);
    assert.equal(product.name, 'The Course, 2nd ed.');
    assert.equal(product.price.amount, 5900);
    assert.equal(product.description, description);
    assert.ok(product.short_description.length <= 250, product.short_description);
    assert.ok(product.short_description.endsWith('…'));

    const found = await waitFor('the checkout workflow in visibility', async () => {
      for await (const wf of stack.client.workflow.list({
        query: `SalesSyncAccountId = "${accountId}" AND SalesSyncStatus = "Synced" AND WorkflowId = "${accepted.workflowId}"`,
      })) {
        return wf;
      }
      return undefined;
    });
    assert.equal(found.type, 'checkoutSyncWorkflow');
  });

  it('serialises three rapid publishes of one checkout into one product at the final price', async () => {
    const checkoutId = uniqueId('rapid');
    const sku = `RAPID-${checkoutId}`;
    // A slow first create keeps the first sync busy while the next two publishes arrive.
    stack.sandbox.faults.inject({ operation: 'createProduct', mode: 'latency', delayMs: 700 });
    for (const amount of [1000, 2000, 3000]) {
      await publish(checkoutId, checkout({ sku, pricing: { type: 'one_time', amount } }));
    }
    const view = await synced(checkoutId, 3);
    assert.equal(view.keapPrice, 3000);
    const products = await keapProducts(sku);
    assert.equal(products.length, 1, 'one product, however the publishes interleave');
    assert.equal(products[0].price.amount, 3000);
    assert.equal(products[0].id, view.keapProductId);
  });

  it('deactivates the product when the checkout is unpublished (a new workflow run), and reactivates it on the next publish', async () => {
    const checkoutId = uniqueId('chk');
    const { workflowId } = await publish(checkoutId, checkout());
    const live = await synced(checkoutId, 1);
    // The checkout's workflow completes after its quiet period (1 s here); the next publish starts a new run.
    const handle = stack.client.workflow.getHandle(workflowId);
    const firstRun = await waitFor('the checkout workflow to complete', async () => {
      const info = await handle.describe();
      return info.status.name === 'COMPLETED' ? info.runId : undefined;
    });
    await publish(checkoutId, checkout({ active: false }));
    const off = await synced(checkoutId, 2, 'Deactivated');
    assert.equal(off.keapProductId, live.keapProductId);
    assert.notEqual((await handle.describe()).runId, firstRun, 'a new run');
    let product = await keapGet(stack, `/products/${live.keapProductId}`);
    assert.equal(product.active, false);
    await publish(checkoutId, checkout());
    await synced(checkoutId, 3);
    product = await keapGet(stack, `/products/${live.keapProductId}`);
    assert.equal(product.active, true);
    assert.equal((await keapProducts(live.sku)).length, 1);
  });

  it('syncs a subscription at price 0 with one plan carrying the real cycle and price; republishing updates that plan', async () => {
    const checkoutId = uniqueId('sub');
    const subscription = (amount: number, interval: string, intervalCount: number) =>
      checkout({
        name: 'Monthly box',
        pricing: { type: 'subscription', amount, interval, intervalCount, trialDays: 7 },
      });
    // The plan is created but Keap's reply is lost: the retry finds it instead of adding a second one.
    stack.sandbox.faults.inject({ operation: 'createSubscriptionPlans', mode: 'commit-then-lose' });
    await publish(checkoutId, subscription(2900, 'month', 1));
    const first = await synced(checkoutId, 1);
    assert.equal(first.keapPrice, 0);
    assert.ok(first.keapSubscriptionPlanId);
    const product = await keapGet(stack, `/products/${first.keapProductId}`);
    assert.equal(product.price.amount, 0, 'subscription products sync at $0.00, as Sales Sync always did');
    let plans = await keapPlans(first.keapProductId);
    assert.deepEqual(
      plans.map((p) => [p.id, p.cycle_type, p.frequency, p.plan_price.amount, p.total_cycles, p.active]),
      [[first.keapSubscriptionPlanId, 'MONTHLY', 1, 2900, 0, true]],
    );
    assert.equal(product.subscription_plans.length, 1);

    await publish(checkoutId, subscription(3900, 'month', 3));
    const second = await synced(checkoutId, 2);
    assert.equal(second.keapSubscriptionPlanId, first.keapSubscriptionPlanId, 'the same plan, updated');
    plans = await keapPlans(first.keapProductId);
    assert.deepEqual(
      plans.map((p) => [p.id, p.cycle_type, p.frequency, p.plan_price.amount, p.active]),
      [[first.keapSubscriptionPlanId, 'MONTHLY', 3, 3900, true]],
    );

    // No longer a subscription: the product takes the price and its plan is deactivated, not deleted.
    await publish(checkoutId, checkout({ name: 'Monthly box', pricing: { type: 'one_time', amount: 9900 } }));
    const third = await synced(checkoutId, 3);
    assert.equal(third.keapSubscriptionPlanId, undefined);
    assert.equal((await keapGet(stack, `/products/${first.keapProductId}`)).price.amount, 9900);
    plans = await keapPlans(first.keapProductId);
    assert.deepEqual(
      plans.map((p) => [p.id, p.active]),
      [[first.keapSubscriptionPlanId, false]],
    );
    assert.equal((await keapProducts(first.sku)).length, 1);
  });

  it("prices a payment-plan product at the plan's full total, once even when Keap's reply to the create is lost", async () => {
    const checkoutId = uniqueId('plan');
    stack.sandbox.faults.inject({ operation: 'createProduct', mode: 'commit-then-lose' });
    await publish(
      checkoutId,
      checkout({
        sku: `PLAN-${checkoutId}`,
        pricing: {
          type: 'payment_plan',
          installments: 3,
          installmentAmount: 10000,
          interval: 'month',
          intervalCount: 1,
        },
      }),
    );
    const view = await synced(checkoutId, 1);
    assert.equal(view.keapPrice, 30000);
    const products = await keapProducts(`PLAN-${checkoutId}`);
    assert.equal(products.length, 1);
    assert.equal(products[0].price.amount, 30000);
    assert.equal(stack.sandbox.faults.list().length, 0, 'the lost reply happened');
  });

  it('parks a checkout Keap rejects in NeedsAttention with the error; the next publish retries it', async () => {
    const checkoutId = uniqueId('bad');
    stack.sandbox.faults.inject({ operation: 'createProduct', mode: 'error-5xx', status: 400 });
    await publish(checkoutId, checkout());
    const parked = await waitFor('NeedsAttention', async () => {
      const res = await stack.call('GET', `/v1/accounts/${accountId}/checkouts/${checkoutId}`);
      return res.body?.status === 'NeedsAttention' ? res.body : undefined;
    });
    assert.match(parked.lastError, /createProduct failed with 400/);
    assert.equal(parked.syncedVersion, 0);
    await publish(checkoutId, checkout());
    const view = await synced(checkoutId, 2);
    assert.equal(view.lastError, undefined);
    assert.equal((await keapProducts(view.sku)).length, 1);
  });

  it('answers 404 for an unknown account, checkout or resync, and 400 for an invalid checkout', async () => {
    const unknownAccount = await stack.call('PUT', `/v1/accounts/${uniqueId('nobody')}/checkouts/c1`, checkout());
    assert.equal(unknownAccount.status, 404);
    assert.equal(unknownAccount.body.error.code, 'account_not_found');
    assert.equal((await stack.call('GET', `/v1/accounts/${uniqueId('nobody')}/checkouts/c1`)).status, 404);
    const unknownCheckout = await stack.call('GET', `/v1/accounts/${accountId}/checkouts/${uniqueId('never')}`);
    assert.equal(unknownCheckout.status, 404);
    assert.equal(unknownCheckout.body.error.code, 'checkout_not_found');
    const unknownResync = await stack.call('GET', `/v1/accounts/${accountId}/resyncs/${randomUUID()}`);
    assert.equal(unknownResync.status, 404);

    const invalid = await stack.call(
      'PUT',
      `/v1/accounts/${accountId}/checkouts/c1`,
      checkout({
        sku: 'A;B',
        pricing: { type: 'subscription', amount: 0, interval: 'fortnight', intervalCount: 1 },
        colour: 'red',
      }),
    );
    // (A card field would be a 422 card_data_rejected before validation: see hostile-input.test.ts.)
    assert.equal(invalid.status, 400);
    const paths = invalid.body.error.details.map((d: any) => d.path).sort();
    assert.deepEqual(paths, ['(root)', 'pricing.amount', 'pricing.interval', 'sku']);
  });

  it('with Sales Sync off records NotSynced and writes nothing; after turning it on, a resync syncs all 50 checkouts, 5 at a time', async () => {
    const account = await createAccount(stack, uniqueId('acct'), { salesSyncEnabled: false });
    const ids = Array.from({ length: 50 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(
        ids
          .slice(i, i + 10)
          .map((id, j) =>
            publish(
              id,
              checkout({ name: `Product ${id}`, pricing: { type: 'one_time', amount: 1000 + i + j } }),
              account,
            ),
          ),
      );
    }
    const notSynced = await Promise.all(ids.map((id) => synced(id, 1, 'NotSynced', account)));
    assert.match(notSynced[0].statusReason, /Sales Sync is turned off/);
    assert.equal(notSynced[0].keapProductId, undefined);
    assert.equal((await keapProducts(`CHK-${account}-*`)).length, 0, 'nothing written to Keap');

    await createAccount(stack, account, { salesSyncEnabled: true });
    const started = await stack.call('POST', `/v1/accounts/${account}/checkouts:resync`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.match(started.body.resyncId, /^[0-9a-f-]{36}$/);
    assert.equal(started.body.workflowId, `resync:${account}:${started.body.resyncId}`);
    assert.equal(started.body.statusUrl, `/v1/accounts/${account}/resyncs/${started.body.resyncId}`);

    const progress = await waitFor(
      'the resync to complete',
      async () => {
        const res = await stack.call('GET', started.body.statusUrl);
        return res.status === 200 && res.body.status === 'Completed' ? res.body : undefined;
      },
      25_000,
    );
    assert.deepEqual(
      [progress.total, progress.synced, progress.failed, progress.pending, progress.notSynced, progress.inFlight],
      [50, 50, 0, 0, 0, 0],
    );
    assert.equal(progress.concurrency, 5);
    assert.ok(progress.maxInFlight <= 5 && progress.maxInFlight >= 2, `maxInFlight ${progress.maxInFlight}`);

    const products = await keapProducts(`CHK-${account}-*`);
    assert.equal(products.length, 50);
    assert.deepEqual(new Set(products.map((p) => p.sku)), new Set(ids.map((id) => `CHK-${account}-${id}`)));
    const view = await synced('c07', 1, 'Synced', account);
    assert.equal(view.keapPrice, 1007);
    assert.equal(
      products.find((p) => p.sku === `CHK-${account}-c07`).price.amount,
      1007,
      'the product carries its own checkout price',
    );
  });
});
