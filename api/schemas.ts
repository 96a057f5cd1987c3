/** Zod schemas of the HTTP API that are not order input (see common/order-schema.ts for orders). */
import { z } from 'zod';
import { resourceIdSchema } from '../common/order-schema';

export const accountIdParams = z.strictObject({ accountId: resourceIdSchema });
export const orderParams = z.strictObject({ accountId: resourceIdSchema, orderId: resourceIdSchema });

export const accountPutSchema = z
  .strictObject({
    keap: z.strictObject({
      apiKey: z.string().trim().min(8).max(512).meta({ description: 'Keap API key (Service Account Key or PAT)' }),
    }),
    keapBaseUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional()
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
  })
  .meta({ id: 'AccountPut' });

export const accountResponseSchema = z
  .object({
    accountId: z.string(),
    keap: z.object({ apiKey: z.string().meta({ description: 'Redacted' }) }),
    keapBaseUrl: z.string().optional(),
    salesSyncEnabled: z.boolean(),
    paymentMethodType: z.string(),
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
    planType: z.string(),
    status: z.string(),
    statusReason: z.string().optional(),
    currency: z.string(),
    total: z.number().int(),
    totalPaid: z.number().int(),
    balance: z.number().int(),
    keapContactId: z.string().optional(),
    keapOrderId: z.string().optional(),
    payments: z.array(
      z.object({
        id: z.string(),
        amount: z.number().int(),
        paidAt: z.string(),
        keapPaymentId: z.string(),
        recordedAt: z.string(),
      }),
    ),
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
