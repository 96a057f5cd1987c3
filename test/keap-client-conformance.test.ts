/**
 * Our Keap client against Keap's official v2 spec: every operation the client has is called through
 * the sandbox, and every request it sends (and every response it gets) is validated against the
 * spec, strictly (a property the spec does not declare is a failure).
 */
import { strict as assert } from 'node:assert';
import { KeapClient } from '../keap/client';
import { KeapApiError } from '../keap/errors';
import { startKeapSandbox } from '../keap-sandbox';
import type { KeapSandbox, SandboxExchange } from '../keap-sandbox';
import { toKeapDecimal } from '../common/money';
import { keapSpecAvailable, loadKeapSpec, SPEC_MISSING_MESSAGE, validateExchange } from './support/keap-spec';

describe('our Keap client conforms to Keap’s v2 spec', function () {
  let sandbox: KeapSandbox;
  const exchanges: SandboxExchange[] = [];

  before(async function () {
    if (!keapSpecAvailable()) {
      console.log(`      (${SPEC_MISSING_MESSAGE})`);
      this.skip();
    }
    sandbox = await startKeapSandbox({ port: 0 });
    sandbox.onExchange((ex) => exchanges.push(ex));
  });

  after(async () => {
    await sandbox?.close();
  });

  it('sends only spec-conformant requests, for every operation it has', async () => {
    const keap = new KeapClient({ baseUrl: sandbox.url, auth: { type: 'apiKey', apiKey: sandbox.apiKey } });

    assert.equal(await keap.findContactByEmail('grace@example.com'), undefined);
    const contact = await keap.createContact({
      given_name: 'Grace',
      family_name: 'Hopper',
      email_addresses: [{ email: 'grace@example.com', field: 'EMAIL1' }],
      phone_numbers: [{ number: '+15550002222', field: 'PHONE1' }],
      addresses: [
        {
          field: 'SHIPPING',
          line1: '1 Navy Way',
          locality: 'Arlington',
          region: 'Virginia',
          postal_code: '22201',
          country_code: 'USA',
        },
      ],
    });
    assert.equal((await keap.findContactByEmail('grace@example.com'))?.id, contact.id);
    await keap.updateContact(contact.id, { given_name: 'Grace B.' }, ['given_name']);

    assert.equal(await keap.findProductBySku('COBOL-1'), undefined);
    const product = await keap.createProduct({
      name: 'COBOL manual',
      sku: 'COBOL-1',
      price: 2500,
      short_description: 'COBOL manual',
      active: true,
    });
    assert.equal((await keap.findProductBySku('COBOL-1'))?.id, product.id);
    await keap.updateProduct(product.id, { price: 2600, name: 'COBOL manual, 2nd ed.' }, ['price', 'name']);
    assert.equal((await keap.getProduct(product.id)).price?.amount, 2600);
    assert.deepEqual(await keap.listSubscriptionPlans(product.id), []);
    const plan = await keap.createSubscriptionPlan(product.id, {
      cycle_type: 'MONTHLY',
      frequency: 1,
      plan_price: 2600,
      total_cycles: 0,
      active: true,
    });
    await keap.updateSubscriptionPlan(product.id, plan.id, { cycle_type: 'YEARLY', plan_price: 26000, frequency: 1 }, [
      'cycle_type',
      'plan_price',
    ]);
    assert.deepEqual(
      (await keap.listSubscriptionPlans(product.id)).map((p) => [
        p.id,
        p.cycle_type,
        p.frequency,
        p.plan_price?.amount,
      ]),
      [[plan.id, 'YEARLY', 1, 26000]],
    );
    assert.equal((await keap.getProduct(product.id)).subscription_plans?.[0]?.billing_cycle, 'YEARLY');

    const model = await keap.getOrderModel();
    assert.ok(Array.isArray(model.custom_fields ?? []));
    const field = await keap.createOrderCustomField('Sales Sync Order Key', 'TEXT');
    assert.ok(field.field_name);
    const order = await keap.createOrder({
      contact_id: contact.id,
      order_time: '2026-11-21T10:00:00Z',
      order_title: 'Checkout order c-1',
      order_type: 'ONLINE',
      order_items: [
        {
          product_id: product.id,
          quantity: 2,
          price_per_unit: toKeapDecimal(2500, 'USD'),
          name: 'COBOL manual',
          item_type: 'PRODUCT',
        },
      ],
      custom_fields: [{ id: field.id, content: 'ss:acct:c-1' }],
      shipping_address: {
        line1: '1 Navy Way',
        locality: 'Arlington',
        region: 'Virginia',
        zip_code: '22201',
        country_code: 'USA',
        first_name: 'Grace',
        last_name: 'Hopper',
      },
    });
    assert.deepEqual(
      (await keap.findOrdersByField(field.field_name, 'ss:acct:c-1')).map((o) => o.id),
      [order.id],
    );
    await keap.createOrderPayment(order.id, {
      payment_amount: toKeapDecimal(5000, 'USD'),
      apply_to_commissions: false,
      payment_method_type: 'Stripe',
      payment_time: '2026-11-21T10:00:00Z',
      notes: '[sales-sync payment pi_1] Paid at checkout; recorded by Sales Sync.',
      external_source: 'Sales Sync',
      external_source_value: 'pi_1',
    });
    assert.equal((await keap.getOrder(order.id)).status, 'PAID');
    assert.equal((await keap.listOrderPayments(order.id)).length, 1);

    assert.equal(await keap.findTagByName('Sales Sync: past due'), undefined);
    const tag = await keap.createTag('Sales Sync: past due', 'Applied by Sales Sync');
    assert.equal((await keap.findTagByName('Sales Sync: past due'))?.id, tag.id);
    await keap.applyTag(tag.id, [contact.id]);
    await keap.removeTag(tag.id, [contact.id]);
    await keap.removeTag(tag.id, [contact.id]); // removing again is harmless
    await keap.createNote(contact.id, {
      title: 'Refund',
      text: 'Refunded $10.00 at Stripe',
      type: 'Other',
      user_id: '1',
    });

    // A rejection comes back as a typed, non-retryable error carrying Keap's message.
    await assert.rejects(
      keap.createOrderPayment(order.id, {
        payment_amount: 1,
        apply_to_commissions: false,
        payment_method_type: 'Stripe',
      }),
      (error: unknown) =>
        error instanceof KeapApiError && error.kind === 'invalid' && !error.retryable && /400/.test(error.message),
    );

    const spec = loadKeapSpec();
    const operations = new Set(exchanges.map((ex) => ex.operationId));
    for (const op of [
      'listContacts',
      'createContact',
      'updateContact',
      'listProducts',
      'createProduct',
      'updateProduct',
      'getProduct',
      'listSubscriptionPlans',
      'createSubscriptionPlans',
      'updateSubscriptionPlan',
      'retrieveOrderCustomFieldModel',
      'createOrderCustomField',
      'listOrders',
      'createOrder',
      'getOrder',
      'createPaymentForAnOrder',
      'listOrderPayments',
      'listTags',
      'createTag',
      'applyTags',
      'removeTags',
      'createNote',
    ]) {
      assert.ok(operations.has(op), `the client never called ${op}`);
    }
    // update_mask goes in the spec's exploded form, one parameter per field.
    const masks = exchanges.filter((ex) => ex.query.update_mask !== undefined).map((ex) => ex.query.update_mask);
    assert.deepEqual(masks, ['given_name', ['price', 'name'], ['cycle_type', 'plan_price']]);
    const problems = exchanges.flatMap((ex) => validateExchange(ex, spec));
    assert.deepEqual(problems, []);
  });
});
