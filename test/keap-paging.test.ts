/**
 * Keap's lists page (page_size / page_token / next_page_token), and the sandbox pages them like Keap,
 * 50 to a page by default. Every list Sales Sync reads to decide "did I already write this?" must read
 * every page: a plan with more than 50 payments, or more filter hits than one page holds, must not
 * make a retry write a second payment, product or tag.
 */
import { strict as assert } from 'node:assert';
import { KeapLedger } from '../activities/keap-ledger';
import { KeapOrders } from '../orders/activities/keap-orders';
import { keapPaymentMarker } from '../orders/order';
import { KeapClient } from '../keap/client';
import { testDatabase } from './support/database';
import { type KeapSandbox, type SandboxExchange, startKeapSandbox } from '../keap-sandbox';
import { connectedAccount } from './support/accounts';

describe('Keap lists are read to their last page', function () {
  /**
   * A session whose ledger has no record of anything (a fresh database), as for a write made before
   * the ledger existed: every write that may repeat an earlier one looks in Keap, which is what these
   * tests are about.
   */
  const lookingSession = async () => ({ keap, appKey: 'app', ledger: new KeapLedger(await testDatabase()) });
  this.timeout(20_000);
  let sandbox: KeapSandbox;
  let keap: KeapClient;
  const exchanges: SandboxExchange[] = [];
  const calls = (operation: string): number => exchanges.filter((ex) => ex.operationId === operation).length;

  before(async () => {
    sandbox = await startKeapSandbox({ port: 0 });
    sandbox.onExchange((ex) => exchanges.push(ex));
    keap = new KeapClient({ baseUrl: sandbox.url, auth: { type: 'apiKey', apiKey: sandbox.apiKey } });
  });
  after(async () => {
    await sandbox?.close();
  });
  beforeEach(() => {
    sandbox.reset();
    exchanges.length = 0;
  });

  const account = connectedAccount('paging');

  it('lists all 60 payments of a 60-installment order, and a retry of payment #55 finds it', async () => {
    const contact = await keap.createContact({ email_addresses: [{ email: 'plan@example.com', field: 'EMAIL1' }] });
    const product = await keap.createProduct({ name: 'Course', sku: 'COURSE', price: 100, short_description: 'c' });
    const order = await keap.createOrder({
      contact_id: contact.id,
      order_time: '2026-11-21T10:00:00Z',
      order_title: '100 installments',
      order_type: 'ONLINE',
      order_items: [{ product_id: product.id, quantity: 100, price_per_unit: 1, item_type: 'PRODUCT' }],
    });
    const orders = new KeapOrders();
    for (let n = 1; n <= 60; n++) {
      await orders.recordPayment(
        { ...(await lookingSession()), account },
        {
          keapOrderId: order.id,
          currency: 'USD',
          payment: { id: `in_${n}`, amount: 100, paidAt: '2026-11-21T10:00:00Z' },
        },
        false,
      );
    }

    exchanges.length = 0;
    const payments = await keap.listOrderPayments(order.id);
    assert.equal(payments.length, 60);
    assert.ok(calls('listOrderPayments') > 1, 'the sandbox served more than one page');
    assert.ok(payments.some((p) => p.note?.includes(keapPaymentMarker('in_55'))));

    // The retry of #55 looks first, finds it on the second page and writes nothing.
    const retry = await orders.recordPayment(
      { ...(await lookingSession()), account },
      { keapOrderId: order.id, currency: 'USD', payment: { id: 'in_55', amount: 100, paidAt: '2026-11-21T10:00:00Z' } },
      true,
    );
    assert.equal(retry.alreadyRecorded, true);
    assert.equal(retry.totalPaidAfter, 6000);
    assert.equal(calls('createPaymentForAnOrder'), 0);
    assert.equal((await keap.getOrder(order.id)).total_paid?.amount, 6000);
  });

  it('finds a product by exact SKU past a first page of case-insensitive hits', async () => {
    // Keap's sku filter ignores case, and findProductBySku reads 5 to a page.
    for (let i = 0; i < 6; i++) {
      await keap.createProduct({ name: `Other ${i}`, sku: 'mug-1', price: 100, short_description: 'm' });
    }
    const mine = await keap.createProduct({ name: 'Mine', sku: 'MUG-1', price: 100, short_description: 'm' });
    assert.equal((await keap.findProductBySku('MUG-1'))?.id, mine.id);
    assert.ok(calls('listProducts') > 1);
  });

  it('finds a tag by exact name past a first page of case-insensitive hits', async () => {
    // Keap keeps tag names unique per category only, and its name filter ignores case.
    for (let i = 0; i < 55; i++) {
      const res = await fetch(`${sandbox.url}/rest/v2/tags`, {
        method: 'POST',
        headers: { 'X-Keap-API-Key': sandbox.apiKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'PAST DUE', category: { id: String(i + 1) } }),
      });
      assert.equal(res.status, 201);
    }
    const mine = await keap.createTag('Past Due');
    assert.equal((await keap.findTagByName('Past Due'))?.id, mine.id);
    assert.ok(calls('listTags') > 1);
  });

  it('returns every order a custom-field filter matches, across pages', async () => {
    const contact = await keap.createContact({ email_addresses: [{ email: 'o@example.com', field: 'EMAIL1' }] });
    const field = await keap.createOrderCustomField('Sales Sync Order Key', 'TEXT');
    assert.ok(field.field_name);
    const keys = ['ss:a:casex-1', 'ss:a:CASEX-1', 'ss:a:Casex-1', 'ss:a:cAsex-1', 'ss:a:caSex-1', 'ss:a:casEx-1'];
    const ids: string[] = [];
    for (const key of [...keys, ...keys]) {
      const order = await keap.createOrder({
        contact_id: contact.id,
        order_time: '2026-11-21T10:00:00Z',
        order_title: key,
        order_type: 'ONLINE',
        order_items: [],
        custom_fields: [{ id: field.id, content: key }],
      });
      ids.push(order.id);
    }
    const found = await keap.findOrdersByField(field.field_name, 'ss:a:casex-1');
    assert.deepEqual(
      found.map((o) => o.id),
      ids,
    );
    assert.ok(calls('listOrders') > 1);
  });
});
