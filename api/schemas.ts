/** Zod schemas of the HTTP API that are not order input (see orders/order-schema.ts for orders). */
import { z } from 'zod';
import { currencySchema, KEAP_FILTER_SAFE, KEAP_FILTER_SAFE_MESSAGE, resourceIdSchema } from '../orders/order-schema';

export const accountIdParams = z.strictObject({ accountId: resourceIdSchema });
export const orderParams = z.strictObject({ accountId: resourceIdSchema, orderId: resourceIdSchema });

const secret = z.string().trim().min(8).max(4096);

export const keapCredentialsInputSchema = z
  .union([
    z.strictObject({ apiKey: secret.max(512).meta({ description: 'Keap API key (Service Account Key or PAT)' }) }),
    z.strictObject({
      oauth: z.union([
        z
          .strictObject({ code: z.string().trim().min(1).max(2048), redirectUri: z.url().optional() })
          .meta({ description: "An authorization code from Keap's OAuth consent screen, exchanged at once" }),
        z
          .strictObject({
            accessToken: secret,
            refreshToken: secret,
            expiresIn: z.number().int().min(1).max(31_536_000),
          })
          .meta({ description: 'An existing token pair to import (expiresIn in seconds)' }),
      ]),
    }),
  ])
  .meta({ id: 'KeapCredentialsInput' });

const settingsFields = {
  keapBaseUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .meta({
      description: "Keap API base URL; defaults to the deployment's (Keap production: https://api.keap.com/crm)",
    }),
  salesSyncEnabled: z.boolean(),
  paymentMethodType: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .meta({ description: 'Name of the Manual Payment Type configured in Keap, used for recorded payments' }),
  gracePeriodDays: z
    .number()
    .int()
    .min(0)
    .max(60)
    .meta({ description: 'Days after an installment or renewal is due before the order turns PastDue' }),
  pastDueTag: z
    .string()
    .trim()
    .min(1)
    .max(100)
    // The tag is found by name through Keap's filter.
    .regex(KEAP_FILTER_SAFE, KEAP_FILTER_SAFE_MESSAGE)
    .meta({ description: 'Keap tag applied to the contact while an order is PastDue or PaymentFailed' }),
  currency: currencySchema.meta({
    description:
      'The currency the Keap app keeps its books in; an order in another currency is refused (422 currency_mismatch)',
  }),
};

/** PATCH: settings only (credentials change through PUT), at least one of them. */
export const accountPatchSchema = z
  .strictObject({
    keapBaseUrl: settingsFields.keapBaseUrl.optional(),
    salesSyncEnabled: settingsFields.salesSyncEnabled.optional(),
    paymentMethodType: settingsFields.paymentMethodType.optional(),
    gracePeriodDays: settingsFields.gracePeriodDays.optional(),
    pastDueTag: settingsFields.pastDueTag.optional(),
    currency: settingsFields.currency.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'name at least one setting to change')
  .meta({ id: 'AccountPatch' });

export const accountPutSchema = z
  .strictObject({
    keap: keapCredentialsInputSchema,
    keapBaseUrl: settingsFields.keapBaseUrl.optional(),
    salesSyncEnabled: settingsFields.salesSyncEnabled,
    paymentMethodType: settingsFields.paymentMethodType,
    gracePeriodDays: settingsFields.gracePeriodDays.default(3),
    pastDueTag: settingsFields.pastDueTag.optional(),
    currency: settingsFields.currency.optional(),
  })
  .meta({ id: 'AccountPut' });

export const accountResponseSchema = z
  .object({
    accountId: z.string(),
    keap: z
      .union([
        z.object({ type: z.literal('apiKey'), apiKey: z.string().meta({ description: 'Redacted' }) }),
        z.object({ type: z.literal('oauth'), expiresAt: z.string() }),
      ])
      .optional()
      .meta({ description: 'Absent while disconnected; never a secret' }),
    connection: z.object({
      status: z.enum(['connected', 'needs_reconnect', 'disconnected']),
      reason: z.string().optional(),
      since: z.string(),
    }),
    keapBaseUrl: z.string().optional(),
    salesSyncEnabled: z.boolean(),
    paymentMethodType: z.string(),
    gracePeriodDays: z.number().int(),
    pastDueTag: z.string().optional(),
    currency: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Account' });

export const orderAcceptedSchema = z
  .object({ workflowId: z.string(), statusUrl: z.string(), duplicate: z.boolean() })
  .meta({ id: 'OrderAccepted' });

export const orderLifecycleSchema = z
  .object({
    workflowId: z.string(),
    accountId: z.string(),
    orderId: z.string(),
    planType: z.enum(['one_time', 'payment_plan', 'subscription']).optional(),
    status: z.string().meta({
      description:
        'AwaitingOrder, Received, Syncing, SyncDisabled, NeedsAttention, Paid, Trialing, AwaitingInstallment, PastDue, PaymentFailed, PaidInFull, Active, Cancelled or Ended',
    }),
    statusReason: z.string().optional(),
    currency: z.string().optional(),
    total: z.number().int(),
    totalPaid: z.number().int(),
    balance: z.number().int(),
    keapContactId: z.string().optional(),
    keapOrderId: z.string().optional(),
    keapOrderIds: z.array(z.string()),
    payments: z.array(
      z.object({
        id: z.string(),
        amount: z.number().int(),
        paidAt: z.string(),
        sequence: z.enum(['initial', 'recurring', 'unknown']),
        keapOrderId: z.string(),
        keapPaymentId: z.string(),
        recordedAt: z.string(),
      }),
    ),
    installments: z.object({ paid: z.number().int(), total: z.number().int() }).optional(),
    cycles: z.number().int().optional(),
    nextDueAt: z.string().optional(),
    failures: z.array(
      z.object({ id: z.string(), amount: z.number().int(), at: z.string(), reason: z.string().optional() }),
    ),
    refunds: z.array(
      z.object({
        id: z.string(),
        paymentId: z.string().optional(),
        amount: z.number().int(),
        currency: z.string().optional(),
        at: z.string(),
        source: z.string(),
      }),
    ),
    ignoredPayments: z.array(z.object({ id: z.string(), reason: z.string() })),
    cancelledAt: z.string().optional(),
    attention: z.object({ step: z.string(), error: z.string(), since: z.string() }).optional(),
    updatedAt: z.string(),
  })
  .meta({ id: 'OrderLifecycle' });

export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const healthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export const cancelRequestSchema = z
  .strictObject({
    at: z.iso.datetime({ offset: true }).optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .meta({ id: 'CancelRequest' });

export const eventAcceptedSchema = z
  .object({ workflowId: z.string(), delivered: z.boolean(), duplicate: z.boolean().optional() })
  .meta({ id: 'EventAccepted' });

export const orderResumedSchema = z
  .object({ workflowId: z.string(), resumed: z.literal(true) })
  .meta({ id: 'OrderResumed' });
