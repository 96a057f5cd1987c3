/**
 * Our keys in Keap are case-sensitive; Keap's filters are not. Order ids `casex-1` and `CASEX-1` are two
 * orders, and Stripe ids `in_CaseX` and `in_casex` two payments: a look-before-write must take only the
 * record that carries exactly our key, however many case-insensitive hits Keap's filter returns.
 */
import { strict as assert } from 'node:assert';
import { KeapLedger } from '../activities/keap-ledger';
import { KeapOrders } from '../orders/activities/keap-orders';
import { keapOrderKey } from '../orders/order';
import { KeapClient } from '../keap/client';
import { testDatabase } from './support/database';
import { type KeapSandbox, startKeapSandbox } from '../keap-sandbox';
import { connectedAccount } from './support/accounts';

describe('Keap look-before-write compares our keys exactly', function () {
  /**
   * A session whose ledger has no record of anything (a fresh database), as for a write made before
   * the ledger existed: every write that may repeat an earlier one looks in Keap, which is what these
   * tests are about.
   */
  const lookingSession = async () => ({ keap, appKey: 'app', ledger: new KeapLedger(await testDatabase()) });
  this.timeout(20_000);
  let sandbox: KeapSandbox;
  let keap: KeapClient;

  before(async () => {
    sandbox = await startKeapSandbox({ port: 0 });
    keap = new KeapClient({ baseUrl: sandbox.url, auth: { type: 'apiKey', apiKey: sandbox.apiKey } });
  });
  after(async () => {
    await sandbox?.close();
  });
  beforeEach(() => sandbox.reset());

  const account = connectedAccount('acct');

  async function orderInput(orderId: string, email: string) {
    const contact = await keap.createContact({ email_addresses: [{ email, field: 'EMAIL1' }] });
    const product =
      (await keap.findProductBySku('MUG')) ??
      (await keap.createProduct({ name: 'Mug', sku: 'MUG', price: 1000, short_description: 'A mug' }));
    return {
      orderKey: keapOrderKey('acct', orderId),
      contactId: contact.id,
      title: `Order ${orderId}`,
      orderTime: '2026-11-21T10:00:00Z',
      currency: 'USD',
      items: [{ productId: product.id, name: 'Mug', quantity: 1, unitAmount: 1000 }],
    };
  }

  it('does not take another order whose key differs only in case, and finds its own among such hits', async () => {
    const orders = new KeapOrders();
    const theirs = await orders.create(await lookingSession(), await orderInput('CASEX-1', 'them@example.com'), true);
    assert.equal(theirs.created, true);

    // Keap's custom-field filter matches CASEX-1 for casex-1, as the sandbox's does.
    const field = (await keap.getOrderModel()).custom_fields?.find((f) => f.label === 'Sales Sync Order Key');
    assert.ok(field?.field_name);
    const mineInput = await orderInput('casex-1', 'me@example.com');
    assert.deepEqual(
      (await keap.findOrdersByField(field.field_name, mineInput.orderKey)).map((o) => o.id),
      [theirs.keapOrderId],
    );

    const mine = await orders.create(await lookingSession(), mineInput, true);
    assert.equal(mine.created, true, 'casex-1 is a new order, not CASEX-1');
    assert.notEqual(mine.keapOrderId, theirs.keapOrderId);

    // A retry of casex-1 finds its own order, though CASEX-1 is listed first.
    const retry = await orders.create(await lookingSession(), mineInput, true);
    assert.deepEqual([retry.keapOrderId, retry.created], [mine.keapOrderId, false]);
    const retryTheirs = await orders.create(
      await lookingSession(),
      await orderInput('CASEX-1', 'them@example.com'),
      true,
    );
    assert.deepEqual([retryTheirs.keapOrderId, retryTheirs.created], [theirs.keapOrderId, false]);
  });

  it('does not take a payment whose Stripe id differs only in case', async () => {
    const orders = new KeapOrders();
    const order = await orders.create(await lookingSession(), await orderInput('pay-1', 'pay@example.com'), false);
    const payment = (id: string) => ({
      keapOrderId: order.keapOrderId,
      currency: 'USD',
      payment: { id, amount: 500, paidAt: '2026-11-21T10:00:00Z' },
    });
    assert.equal(
      (await orders.recordPayment({ ...(await lookingSession()), account }, payment('in_CaseX'), false))
        .alreadyRecorded,
      false,
    );
    const other = await orders.recordPayment({ ...(await lookingSession()), account }, payment('in_casex'), true);
    assert.equal(other.alreadyRecorded, false, 'in_casex is another payment than in_CaseX');
    const retry = await orders.recordPayment({ ...(await lookingSession()), account }, payment('in_casex'), true);
    assert.deepEqual([retry.keapPaymentId, retry.alreadyRecorded], [other.keapPaymentId, true]);
    assert.equal((await keap.listOrderPayments(order.keapOrderId)).length, 2);
  });
});
