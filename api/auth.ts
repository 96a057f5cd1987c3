import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Bearer-token check in constant time (digests have equal length whatever the input). */
export function requireBearerToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const match = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '');
    if (match?.[1] && timingSafeEqual(digest(match[1].trim()), expected)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="sales-sync"');
    next(new HttpError(401, 'unauthorized', 'A valid "Authorization: Bearer <token>" header is required'));
  };
}
