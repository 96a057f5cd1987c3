/** The API's OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { orderRequestSchema, paymentSchema } from '../orders/order-schema';
import { checkoutParams, checkoutPutSchema, resyncParams } from '../checkouts/checkout-schema';
import {
  checkoutAcceptedSchema,
  checkoutViewSchema,
  resyncAcceptedSchema,
  resyncProgressSchema,
} from './checkout-schemas';
import {
  accountIdParams,
  accountPutSchema,
  accountResponseSchema,
  cancelRequestSchema,
  errorResponseSchema,
  eventAcceptedSchema,
  orderResumedSchema,
  healthSchema,
  orderAcceptedSchema,
  orderLifecycleSchema,
  orderParams,
} from './schemas';

const json = (schema: z.ZodType, description: string): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
});

const errors = (...statuses: number[]): Record<number, ResponseConfig> =>
  Object.fromEntries(statuses.map((s) => [s, json(errorResponseSchema, 'Error')]));

export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const security = [{ [bearer.name]: [] }];

  registry.registerPath({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    responses: { 200: json(healthSchema, 'OK') },
  });
  registry.registerPath({
    method: 'put',
    path: '/v1/accounts/{accountId}',
    summary: 'Create or replace an account and its Keap connection',
    security,
    request: { params: accountIdParams, body: { content: { 'application/json': { schema: accountPutSchema } } } },
    responses: { 200: json(accountResponseSchema, 'The account, secrets redacted'), ...errors(400, 401, 413, 415) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/accounts/{accountId}',
    summary: 'Read an account, secrets redacted',
    security,
    request: { params: accountIdParams },
    responses: { 200: json(accountResponseSchema, 'The account'), ...errors(400, 401, 404) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/accounts/{accountId}/orders',
    summary: 'Submit a paid checkout order; it is written to Keap exactly once',
    security,
    request: { params: accountIdParams, body: { content: { 'application/json': { schema: orderRequestSchema } } } },
    responses: {
      202: json(orderAcceptedSchema, 'Accepted (also for a repeat of the same order)'),
      ...errors(400, 401, 404, 409, 413, 415, 422),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/accounts/{accountId}/orders/{orderId}/payments',
    summary:
      'A payment on an order (installment or renewal); recorded once per payment id, held if the order has not arrived',
    security,
    request: { params: orderParams, body: { content: { 'application/json': { schema: paymentSchema } } } },
    responses: { 202: json(eventAcceptedSchema, 'Handed to the order'), ...errors(400, 401, 404, 409, 413, 415) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/accounts/{accountId}/orders/{orderId}/cancel',
    summary: 'Cancel a payment plan or subscription (its balance stays open)',
    security,
    request: { params: orderParams, body: { content: { 'application/json': { schema: cancelRequestSchema } } } },
    responses: { 202: json(eventAcceptedSchema, 'Handed to the order'), ...errors(400, 401, 404, 409, 413, 415) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/accounts/{accountId}/orders/{orderId}/resume',
    summary: 'Retry the step Keap rejected, after an operator fixed its cause (the order must be NeedsAttention)',
    security,
    request: { params: orderParams },
    responses: {
      202: json(orderResumedSchema, 'The order retries its step'),
      ...errors(400, 401, 404, 409),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/accounts/{accountId}/orders/{orderId}',
    summary: "An order's lifecycle",
    security,
    request: { params: orderParams },
    responses: { 200: json(orderLifecycleSchema, 'The lifecycle'), ...errors(400, 401, 404) },
  });
  registry.registerPath({
    method: 'put',
    path: '/v1/accounts/{accountId}/checkouts/{checkoutId}',
    summary:
      'Publish a checkout (active: false unpublishes it): its Keap product is created or updated by SKU, never duplicated',
    security,
    request: { params: checkoutParams, body: { content: { 'application/json': { schema: checkoutPutSchema } } } },
    responses: {
      202: json(checkoutAcceptedSchema, 'Stored as the next version; the sync runs in the background'),
      ...errors(400, 401, 404, 413, 415),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/accounts/{accountId}/checkouts/{checkoutId}',
    summary: 'A published checkout and the state of its Keap product',
    security,
    request: { params: checkoutParams },
    responses: { 200: json(checkoutViewSchema, 'The checkout'), ...errors(400, 401, 404) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/accounts/{accountId}/checkouts:resync',
    summary: 'Sync every stored checkout of the account into Keap again (e.g. after Sales Sync was turned on)',
    security,
    request: { params: accountIdParams },
    responses: { 202: json(resyncAcceptedSchema, 'Started'), ...errors(400, 401, 404) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/accounts/{accountId}/resyncs/{resyncId}',
    summary: "A resync's progress",
    security,
    request: { params: resyncParams },
    responses: { 200: json(resyncProgressSchema, 'Progress'), ...errors(400, 401, 404) },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Sales Sync API',
      version: '1',
      description:
        'Records checkout sales into Infusionsoft (Keap). Money is always integer minor units plus an ISO currency.',
    },
  });
}
