import type Stripe from 'stripe';

/**
 * The Stripe API version whose webhook payloads Sales Sync reads, pinned together with the stripe-node
 * major in package.json (23.x). The `satisfies` makes a stripe-node upgrade that moves its pinned
 * version fail to compile here, and test/stripe-webhook.test.ts checks the runtime value too: a new
 * version means re-reading the payload schemas in api/stripe/events.ts. The Stripe webhook endpoint
 * must be created with this same version, since Stripe renders each event in the endpoint's version.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' satisfies Stripe.LatestApiVersion;
