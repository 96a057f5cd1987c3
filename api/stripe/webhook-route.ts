/**
 * POST /webhooks/stripe: Stripe's webhook deliveries. Mount it under /v1 BEFORE the bearer-token
 * check and before express.json: Stripe cannot send our token, and it signs the raw body, which this
 * router reads itself. Answers (errors in the API's `{ error: { code, message } }` shape):
 *   - signature missing, wrong or older than the tolerance → 400 invalid_signature (never a 5xx);
 *   - an event we use → handed to `deliver` (a Temporal signal); 200 only once it was accepted,
 *     503 if it could not be (Stripe then retries, for up to 3 days);
 *   - any other well-signed event → 200 `{ received: true, ignored: reason }`.
 * Stripe may deliver an event twice or out of order: dedupe is the order workflow's job, by the
 * payment/refund id, so a repeat is simply delivered again.
 */
import express from 'express';
import Stripe from 'stripe';
import type { Logger } from '../../platform/logger';
import { HttpError } from '../errors';
import { routeStripeEvent } from './events';
import type { RoutedStripeEvent } from './events';
import { STRIPE_API_VERSION } from './version';

export interface StripeWebhookOptions {
  /** The endpoint's signing secret (whsec_...). */
  endpointSecret: string;
  /** Largest accepted age of a signature's timestamp, in seconds. Default 300, as Stripe recommends. */
  toleranceSeconds?: number;
  /**
   * Hands the event to its order workflow; resolves once Temporal accepted it, rejects if it could not.
   * `{ ignored }` acknowledges an event that belongs to no order we can write (an unknown account).
   */
  deliver(routed: RoutedStripeEvent): Promise<'delivered' | 'closed' | { ignored: string }>;
  logger: Logger;
}

export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';

/** Reads one string field of a parsed JSON value without trusting its shape. */
function field(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === 'string' ? found : undefined;
}

export function stripeWebhookRouter(options: StripeWebhookOptions): express.Router {
  const { endpointSecret, toleranceSeconds = 300 } = options;
  if (!endpointSecret.trim()) throw new Error('stripeWebhookRouter needs the endpoint signing secret (whsec_...)');
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds <= 0) {
    throw new Error('toleranceSeconds must be a positive number of seconds');
  }
  const logger = options.logger.child({ route: 'stripe-webhook' });
  // Only webhook verification is used: no API call is ever made, so the key is a placeholder.
  const stripe = new Stripe('sk_webhook_verification_only', { apiVersion: STRIPE_API_VERSION });

  const router = express.Router();
  router.post(STRIPE_WEBHOOK_PATH, express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
    const signature = req.headers['stripe-signature'];
    if (typeof signature !== 'string' || signature === '') {
      logger.warn('stripe webhook rejected: no Stripe-Signature header');
      throw new HttpError(400, 'invalid_signature', 'The Stripe-Signature header is missing');
    }
    const body: unknown = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      logger.warn('stripe webhook rejected: empty body');
      throw new HttpError(400, 'invalid_signature', 'The request has no body to verify');
    }

    let event: unknown;
    try {
      event = stripe.webhooks.constructEvent(body, signature, endpointSecret, toleranceSeconds);
    } catch (error) {
      if (error instanceof SyntaxError) {
        // Signed, yet not JSON. Its message quotes the body (customer PII): log the name only.
        logger.warn({ errorName: error.name }, 'stripe webhook rejected: signed body is not JSON');
        throw new HttpError(400, 'invalid_payload', 'The signed body is not a JSON Stripe event');
      }
      // Anything else failed verification: a StripeSignatureVerificationError, or a plain Error from
      // stripe-node for some malformed headers (e.g. an empty v1=) or a v2 thin event. Log the reason
      // only: the error object carries the payload (customer PII) and the header.
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      logger.warn({ reason }, 'stripe webhook rejected: signature verification failed');
      throw new HttpError(400, 'invalid_signature', 'The Stripe signature is missing, invalid or too old');
    }

    const eventId = field(event, 'id');
    const eventType = field(event, 'type');
    const apiVersion = field(event, 'api_version');
    if (apiVersion && apiVersion !== STRIPE_API_VERSION) {
      logger.warn(
        { eventId, eventType, apiVersion, expected: STRIPE_API_VERSION },
        'stripe event rendered in another API version: set the webhook endpoint to the pinned version',
      );
    }

    const route = routeStripeEvent(event);
    if ('ignored' in route) {
      logger.info({ eventId, eventType, reason: route.ignored }, 'stripe event ignored');
      res.status(200).json({ received: true, ignored: route.ignored });
      return;
    }

    const { routed } = route;
    const context = {
      eventId: routed.eventId,
      eventType: routed.eventType,
      accountId: routed.accountId,
      orderId: routed.orderId,
      kind: routed.event.kind,
    };
    let outcome: Awaited<ReturnType<StripeWebhookOptions['deliver']>>;
    try {
      outcome = await options.deliver(routed);
    } catch (error) {
      logger.error({ ...context, err: error }, 'stripe event not handed to Temporal; Stripe will retry');
      throw new HttpError(503, 'temporarily_unavailable', 'The event could not be recorded yet; retry later');
    }
    if (typeof outcome === 'object') {
      logger.info({ ...context, reason: outcome.ignored }, 'stripe event ignored');
      res.status(200).json({ received: true, ignored: outcome.ignored });
      return;
    }
    if (outcome === 'closed') {
      logger.info(context, 'stripe event not delivered: order already closed');
      res.status(200).json({ received: true, delivered: false, reason: 'order already closed' });
      return;
    }
    logger.info(context, 'stripe event delivered');
    res.status(200).json({ received: true, delivered: true });
  });
  return router;
}
