/**
 * Zod schemas for what the checkout platform sends. They validate at the edge (HTTP bodies) and
 * are the single source of the order types; workflow code imports these types with `import type`
 * only, so zod never enters the workflow bundle.
 */
import { z } from 'zod';
import countries from 'i18n-iso-countries';
import { isSupportedCurrency } from '../common/money';

/** Ids used in URLs and Temporal workflow ids: no ':' (our workflow-id separator), no slashes, no dots first. */
export const resourceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be 1-100 characters of letters, digits, "_", "." or "-"');

/** Integer minor units (cents). 10^11 minor units is far above any single checkout order. */
export const minorUnitsSchema = z
  .number()
  .int('must be an integer number of minor units (e.g. cents)')
  .nonnegative()
  .max(100_000_000_000)
  .meta({ description: 'Integer amount in the currency minor unit (e.g. cents)', example: 4900 });

export const positiveMinorUnitsSchema = minorUnitsSchema.refine((n) => n > 0, 'must be greater than 0');

export const currencySchema = z
  .string()
  .refine(isSupportedCurrency, 'must be an ISO 4217 currency code such as "USD"')
  .meta({ description: 'ISO 4217 currency code', example: 'USD' });

const countrySchema = z
  .string()
  .transform((value, ctx) => {
    const alpha3 = value.length === 2 ? countries.alpha2ToAlpha3(value.toUpperCase()) : value.toUpperCase();
    if (!alpha3 || !countries.isValid(alpha3)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 3166-1 alpha-2 or alpha-3 country code' });
      return z.NEVER;
    }
    return alpha3;
  })
  .meta({ description: 'ISO 3166-1 country code, alpha-2 or alpha-3 (stored as alpha-3, as Keap expects)' });

const text = (max: number) => z.string().trim().min(1).max(max);

export const addressSchema = z
  .strictObject({
    line1: text(100),
    line2: text(100).optional(),
    city: text(100),
    // Keap's contact addresses take at most 50 characters here; longer would park the order in
    // NeedsAttention with nothing an operator could fix, so it is refused at the edge.
    region: text(50).optional(),
    postalCode: text(20).optional(),
    country: countrySchema,
  })
  .meta({ id: 'Address' });

export const customerSchema = z
  .strictObject({
    email: z
      .email()
      .max(254)
      .transform((email) => email.toLowerCase()),
    firstName: text(40).optional(),
    lastName: text(40).optional(),
    phone: text(40).optional(),
    address: addressSchema.optional(),
  })
  .meta({ id: 'Customer' });

/**
 * What a value that reaches a Keap filter (`field==value`, joined by ';') may hold: Keap's filter syntax
 * gives ';' and '*' a meaning, so such a value could never be looked up exactly, and a lookup before a
 * write that cannot find its own record would write it again. Control characters (Unicode Cc) are
 * refused with them; they are spelled out rather than `\p{Cc}` with the `u` flag, which the OpenAPI
 * document cannot carry (its pattern came out as `…$/u`, matching nothing).
 */
// eslint-disable-next-line no-control-regex -- control characters are what this pattern refuses
export const KEAP_FILTER_SAFE = /^[^;*\u0000-\u001f\u007f-\u009f]+$/;
export const KEAP_FILTER_SAFE_MESSAGE = 'must not contain ";", "*" or control characters';

/** Longest SKU we send to Keap. */
export const MAX_SKU_LENGTH = 64;

/** A Keap product SKU, as order lines and checkouts give it. */
export const skuSchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_SKU_LENGTH)
  // Products are found by SKU through Keap's filter.
  .regex(KEAP_FILTER_SAFE, KEAP_FILTER_SAFE_MESSAGE);

export const lineItemSchema = z
  .strictObject({
    sku: skuSchema.optional().meta({
      description:
        "Stable product SKU; the Keap product is found or created by it. Optional with checkoutId: the checkout's SKU",
    }),
    checkoutId: resourceIdSchema.optional().meta({
      description:
        "The published checkout this line was bought through: the line uses that checkout's synced Keap product",
    }),
    name: text(255),
    quantity: z.number().int().min(1).max(10_000),
    unitAmount: minorUnitsSchema.meta({ description: 'Price actually charged per unit, in minor units' }),
  })
  .refine((item) => item.sku !== undefined || item.checkoutId !== undefined, {
    path: ['sku'],
    message: 'is required unless the line names its checkoutId',
  })
  .meta({ id: 'LineItem' });

export const oneTimePlanSchema = z.strictObject({ type: z.literal('one_time') }).meta({ id: 'OneTimePlan' });

export const intervalSchema = z.enum(['day', 'week', 'month', 'year']).meta({ id: 'Interval' });

export const paymentPlanSchema = z
  .strictObject({
    type: z.literal('payment_plan'),
    installments: z.number().int().min(2).max(120),
    installmentAmount: positiveMinorUnitsSchema,
    interval: intervalSchema,
    intervalCount: z.number().int().min(1).max(12),
  })
  .meta({
    id: 'PaymentPlan',
    description: 'The order total is installments × installmentAmount; the first installment is paid now',
  });

export const subscriptionPlanSchema = z
  .strictObject({
    type: z.literal('subscription'),
    amount: positiveMinorUnitsSchema.meta({ description: 'Charged every cycle, in minor units' }),
    interval: intervalSchema,
    intervalCount: z.number().int().min(1).max(12),
    trialDays: z.number().int().min(0).max(730).optional(),
  })
  .meta({ id: 'SubscriptionPlan' });

export const planSchema = z
  .discriminatedUnion('type', [oneTimePlanSchema, paymentPlanSchema, subscriptionPlanSchema])
  .meta({ id: 'Plan' });

export const paymentSchema = z
  .strictObject({
    id: text(255)
      // A renewal's Keap order is keyed (and looked up through Keap's filter) by its payment id.
      .regex(KEAP_FILTER_SAFE, KEAP_FILTER_SAFE_MESSAGE)
      .meta({ description: 'The payment id at the processor (Stripe payment intent, charge or invoice)' }),
    amount: positiveMinorUnitsSchema,
    paidAt: z.iso.datetime({ offset: true }).meta({ example: '2026-11-21T10:00:00Z' }),
  })
  .meta({ id: 'Payment' });

export const orderRequestSchema = z
  .strictObject({
    orderId: resourceIdSchema,
    customer: customerSchema,
    items: z.array(lineItemSchema).min(1).max(100),
    currency: currencySchema,
    plan: planSchema,
    payment: paymentSchema
      .optional()
      .meta({ description: 'The payment made at checkout; omitted only for a subscription that starts with a trial' }),
  })
  .superRefine((order, ctx) => {
    const trial = order.plan.type === 'subscription' && (order.plan.trialDays ?? 0) > 0;
    if (!order.payment && !trial) {
      ctx.addIssue({
        code: 'custom',
        path: ['payment'],
        message: 'is required unless the subscription starts with a trial',
      });
    }
  })
  .meta({ id: 'OrderRequest' });

export type Address = z.output<typeof addressSchema>;
export type Customer = z.output<typeof customerSchema>;
export type LineItemInput = z.output<typeof lineItemSchema>;
/** A line once its checkout (if any) is resolved: it always has its SKU. */
export type LineItem = LineItemInput & { sku: string };
export type Plan = z.output<typeof planSchema>;
export type PaymentPlan = z.output<typeof paymentPlanSchema>;
export type SubscriptionPlan = z.output<typeof subscriptionPlanSchema>;
export type Interval = z.output<typeof intervalSchema>;
export type PaymentInput = z.output<typeof paymentSchema>;
/** An order as posted: lines may name a checkout instead of a SKU. */
export type OrderInput = z.output<typeof orderRequestSchema>;
/** An order as its workflow gets it: every line has its SKU. */
export type OrderRequest = Omit<OrderInput, 'items'> & { items: LineItem[] };
