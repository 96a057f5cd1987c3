/** Zod schemas of the checkout API's responses (requests: checkouts/checkout-schema.ts), for the OpenAPI document. */
import { z } from 'zod';
import { checkoutPricingSchema } from '../checkouts/checkout-schema';

export const checkoutAcceptedSchema = z
  .object({
    checkoutId: z.string(),
    sku: z.string().meta({ description: "The Keap product's SKU (the checkout's own, or the derived one)" }),
    version: z.number().int().meta({ description: 'This publish: 1, 2, … per checkout' }),
    workflowId: z.string(),
    syncStatusUrl: z.string(),
  })
  .meta({ id: 'CheckoutAccepted' });

export const checkoutViewSchema = z
  .object({
    accountId: z.string(),
    checkoutId: z.string(),
    workflowId: z.string(),
    name: z.string(),
    sku: z.string(),
    skuDerived: z.boolean(),
    description: z.string().optional(),
    currency: z.string(),
    pricing: checkoutPricingSchema,
    active: z.boolean(),
    version: z.number().int().meta({ description: 'The latest published version' }),
    publishedAt: z.string(),
    status: z.enum(['Pending', 'Synced', 'Deactivated', 'NotSynced', 'NeedsAttention']).meta({
      description:
        'Pending: the latest version is not in Keap yet. Synced / Deactivated: Keap matches it. NotSynced: Sales Sync ' +
        'is off, nothing was written. NeedsAttention: Keap rejected the sync (lastError); publish again to retry.',
    }),
    statusReason: z.string().optional(),
    syncedVersion: z.number().int().meta({ description: 'The last version written to Keap (0: never)' }),
    keapProductId: z.string().optional(),
    keapSubscriptionPlanId: z.string().optional(),
    keapPrice: z.number().int().optional().meta({ description: "The Keap product's price, in minor units" }),
    lastError: z.string().optional(),
    syncedAt: z.string().optional(),
  })
  .meta({ id: 'Checkout' });

export const resyncAcceptedSchema = z
  .object({ resyncId: z.string(), workflowId: z.string(), statusUrl: z.string() })
  .meta({ id: 'ResyncAccepted' });

export const resyncProgressSchema = z
  .object({
    resyncId: z.string(),
    accountId: z.string(),
    status: z.enum(['Running', 'Completed']),
    total: z.number().int(),
    synced: z.number().int(),
    failed: z.number().int(),
    pending: z.number().int(),
    notSynced: z.number().int().meta({ description: 'Not written because Sales Sync is off' }),
    inFlight: z.number().int(),
    maxInFlight: z.number().int(),
    concurrency: z.number().int(),
    failures: z.array(z.object({ checkoutId: z.string(), error: z.string() })),
    startedAt: z.string(),
    completedAt: z.string().optional(),
  })
  .meta({ id: 'ResyncProgress' });
