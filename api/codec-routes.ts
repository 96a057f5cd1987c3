/**
 * The codec endpoint the Temporal Web UI calls to show encrypted payloads to operators
 * (`temporal server start-dev --ui-codec-endpoint http://127.0.0.1:3000/codec`, or the UI's codec
 * setting): POST /codec/decode and /codec/encode with `{ payloads: [{ metadata, data }] }`
 * (base64, proto3 JSON). It decrypts for whoever can reach it, so outside development it requires
 * the API's bearer token (the UI can pass its access token) and only answers the UI's origin.
 */
import express from 'express';
import type { RequestHandler } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { HttpError } from './errors';
import { parseOrReject } from './validate';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const bodySchema = z.strictObject({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(1000),
});

type JsonPayload = z.output<typeof bodySchema>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export interface CodecRoutesOptions {
  codec: PayloadCodec;
  /** Origins of the Temporal Web UI allowed to call from a browser. */
  allowedOrigins: string[];
  /** When set, callers must send it as a bearer token. */
  requireAuth?: RequestHandler;
}

export function codecRoutes(options: CodecRoutesOptions): express.Router {
  const router = express.Router();
  router.use((req, res, next) => {
    const origin = req.get('origin');
    if (origin && options.allowedOrigins.includes(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
        'Access-Control-Allow-Credentials': 'true',
        Vary: 'Origin',
      });
    }
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });
  if (options.requireAuth) router.use(options.requireAuth);
  router.use(express.json({ limit: '4mb' }));
  for (const direction of ['decode', 'encode'] as const) {
    router.post(`/${direction}`, async (req, res) => {
      const { payloads } = parseOrReject(bodySchema, req.body, 'payloads');
      let result: Payload[];
      try {
        result = await options.codec[direction](payloads.map(fromJson));
      } catch {
        throw new HttpError(400, 'codec_failed', `These payloads cannot be ${direction}d with this deployment's keys`);
      }
      res.json({ payloads: result.map(toJson) });
    });
  }
  return router;
}
