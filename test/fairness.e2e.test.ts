/**
 * One merchant's backlog never holds another merchant's orders back (issue 16): a merchant whose Keap
 * app allows 1 call/s posts more orders than the worker has activity slots (100), and another
 * merchant's orders still reach Keap in seconds, because an order waiting for its app's capacity does
 * not wait inside an activity slot.
 */
import { strict as assert } from 'node:assert';
import { startKeapSandbox } from '../keap-sandbox';
import type { KeapSandbox } from '../keap-sandbox';
import { createAccount, oneTimeOrder, uniqueId, waitForStatus } from './support/fixtures';
import { getStack } from './support/stack';
import type { Stack } from './support/stack';

describe('fairness between merchants', function () {
  this.timeout(120_000);
  let stack: Stack;
  let slowKeap: KeapSandbox;

  before(async function () {
    this.timeout(120_000);
    stack = await getStack();
    slowKeap = await startKeapSandbox({ port: 0, throttle: '1/s' });
  });

  after(async function () {
    this.timeout(60_000);
    await slowKeap.close();
  });

  it('a backlog of 110 orders on a 1/s Keap app does not delay another merchant: each of its orders is in Keap within seconds', async () => {
    const busy = await createAccount(stack, uniqueId('busy'), { keapBaseUrl: slowKeap.url });
    const neighbour = await createAccount(stack);
    const backlog = Array.from({ length: 110 }, () => oneTimeOrder());
    try {
      await Promise.all(
        backlog.map(async (order) => {
          const res = await stack.call('POST', `/v1/accounts/${busy}/orders`, order);
          assert.equal(res.status, 202, JSON.stringify(res.body));
        }),
      );
      // The backlog now fills the slow app's queue for minutes.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const took = await Promise.all(
        Array.from({ length: 3 }, async () => {
          const order = oneTimeOrder();
          const posted = Date.now();
          assert.equal((await stack.call('POST', `/v1/accounts/${neighbour}/orders`, order)).status, 202);
          await waitForStatus(stack, neighbour, order.orderId, 'Paid', 60_000);
          return Date.now() - posted;
        }),
      );
      assert.ok(Math.max(...took) < 15_000, `the neighbour's orders took ${took.join(', ')} ms`);
    } finally {
      // The backlog would drain for minutes: end it, so the rest of the suite runs on a quiet worker.
      const query = `SalesSyncAccountId = "${busy}" AND ExecutionStatus = "Running"`;
      for await (const wf of stack.client.workflow.list({ query })) {
        await stack.client.workflow
          .getHandle(wf.workflowId)
          .terminate('test over')
          .catch(() => undefined);
      }
    }
  });
});
