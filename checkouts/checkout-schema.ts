/**
 * What the checkout platform sends when a checkout is published (PUT /v1/accounts/:a/checkouts/:c),
 * and the rules that turn a checkout into a Keap product: its SKU, its Keap price and descriptions,
 * its subscription plan. Zod validates at the edge; workflow code imports these types with
 * `import type` only (see checkouts/checkout.ts for what workflows may import).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CheckoutDefinition, CheckoutPricing } from './checkout';
import {
  currencySchema,
  MAX_SKU_LENGTH,
  minorUnitsSchema,
  paymentPlanSchema,
  resourceIdSchema,
  skuSchema,
  subscriptionPlanSchema,
} from '../orders/order-schema';

export const checkoutParams = z.strictObject({ accountId: resourceIdSchema, checkoutId: resourceIdSchema });
export const resyncParams = z.strictObject({
  accountId: resourceIdSchema,
  resyncId: z.uuid().meta({ description: 'The id returned by POST .../checkouts:resync' }),
});

export const checkoutSkuSchema = skuSchema.meta({
  description: 'Keap product SKU; derived from the account and checkout ids when omitted',
  example: 'COURSE-1',
});

export const oneTimePricingSchema = z
  .strictObject({
    type: z.literal('one_time'),
    amount: minorUnitsSchema.meta({ description: 'The price, in minor units' }),
  })
  .meta({ id: 'OneTimePricing' });

export const checkoutPricingSchema = z
  .discriminatedUnion('type', [oneTimePricingSchema, paymentPlanSchema, subscriptionPlanSchema])
  .meta({
    id: 'CheckoutPricing',
    description:
      'one_time: the product costs `amount`. payment_plan: the product costs installments × installmentAmount. ' +
      'subscription: the product costs 0 in Keap (orders carry the charged price) and gets a Keap subscription plan ' +
      'with the real cycle and amount.',
  });

export const checkoutPutSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(255).meta({ description: 'Product name in Keap', example: 'The Course' }),
    sku: checkoutSkuSchema.optional(),
    description: z
      .string()
      .trim()
      .min(1)
      .max(10_000)
      .optional()
      .meta({ description: "Keap's long description; the first 250 characters also make the short description" }),
    currency: currencySchema,
    pricing: checkoutPricingSchema,
    active: z
      .boolean()
      .meta({ description: 'false when the checkout is unpublished: the Keap product is deactivated' }),
  })
  .meta({ id: 'CheckoutPut' });

export type CheckoutPut = z.output<typeof checkoutPutSchema>;

// Compile-time check that the zod output and the workflow-safe types in checkouts/checkout.ts agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const pricingTypesAgree: Same<z.output<typeof checkoutPricingSchema>, CheckoutPricing> = true;
const definitionTypesAgree: Same<CheckoutPut, CheckoutDefinition> = true;
void pricingTypesAgree;
void definitionTypesAgree;

/**
 * The SKU of a checkout that names none: `CHK-{accountId}-{checkoutId}`, with any character outside
 * `[A-Za-z0-9._-]` replaced by `-` (ids cannot hold any today). When that is longer than 64
 * characters it is cut to 55 and a `-` plus 8 hex digits of SHA-256(accountId, checkoutId) are
 * appended, so long ids stay distinct. Stable: the same checkout always gets the same SKU.
 */
export function derivedCheckoutSku(accountId: string, checkoutId: string): string {
  const readable = `CHK-${accountId}-${checkoutId}`.replace(/[^A-Za-z0-9._-]/g, '-');
  if (readable.length <= MAX_SKU_LENGTH) return readable;
  const hash = createHash('sha256').update(`${accountId}\u0000${checkoutId}`).digest('hex').slice(0, 8);
  return `${readable.slice(0, MAX_SKU_LENGTH - 9)}-${hash}`;
}

/** The SKU a checkout's Keap product carries: the checkout's own, or the derived one. */
export function checkoutSku(
  accountId: string,
  checkoutId: string,
  definition: Pick<CheckoutDefinition, 'sku'>,
): string {
  return definition.sku ?? derivedCheckoutSku(accountId, checkoutId);
}
