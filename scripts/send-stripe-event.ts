/**
 * Sends a signed Stripe webhook event to a running Sales Sync, for trying plans and subscriptions by
 * hand (the README shows how). Signs with STRIPE_WEBHOOK_SECRET, or the development default.
 *
 *   npm run stripe:event -- invoice.paid --account demo --order plan_1 --invoice in_2 --amount 10000
 *   npm run stripe:event -- invoice.payment_failed --account demo --order plan_1 --invoice in_3 --amount 10000
 *   npm run stripe:event -- customer.subscription.deleted --account demo --order sub_1
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config';
import { invoicePaid, invoicePaymentFailed, signEvent, subscriptionDeleted } from './stripe-events';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      order: { type: 'string' },
      invoice: { type: 'string' },
      amount: { type: 'string' },
      currency: { type: 'string', default: 'USD' },
      reason: { type: 'string', default: 'subscription_cycle' },
      url: { type: 'string' },
    },
  });
  const config = loadConfig();
  const secret = config.stripe.webhookSecret;
  if (!secret) throw new Error('Set STRIPE_WEBHOOK_SECRET');
  const [type] = positionals;
  if (!values.account || !values.order) throw new Error('--account and --order are required');
  const routing = { accountId: values.account, orderId: values.order };
  const amount = Number(values.amount ?? 0);
  const invoiceId = values.invoice ?? `in_${Date.now()}`;
  let event: object;
  switch (type) {
    case 'invoice.paid':
      event = invoicePaid(routing, {
        invoiceId,
        amount,
        currency: values.currency,
        billingReason: values.reason as 'subscription_create' | 'subscription_cycle' | 'manual',
      });
      break;
    case 'invoice.payment_failed':
      event = invoicePaymentFailed(routing, { invoiceId, amount, currency: values.currency });
      break;
    case 'customer.subscription.deleted':
      event = subscriptionDeleted(routing);
      break;
    default:
      throw new Error('event type must be invoice.paid, invoice.payment_failed or customer.subscription.deleted');
  }
  const { body, signature } = signEvent(event, secret);
  const url = values.url ?? `http://${config.api.host}:${config.api.port}/v1/webhooks/stripe`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body,
  });
  console.log(res.status, await res.text());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
