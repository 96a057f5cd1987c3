/**
 * Structured logging with secrets and customer PII redacted by key, wherever they appear in a log
 * object, so a careless `log.info({ account })` cannot leak an API key.
 */
import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'apiKey',
  'accessToken',
  'refreshToken',
  'clientSecret',
  'authorization',
  'password',
  'token',
  'secret',
];
const PII_KEYS = ['email', 'phone', 'firstName', 'lastName', 'address'];

const redactPaths = [...SECRET_KEYS, ...PII_KEYS]
  .flatMap((key) => [key, `*.${key}`, `*.*.${key}`])
  .concat(['req.headers.authorization', 'req.headers["x-keap-api-key"]', 'req.headers["stripe-signature"]']);

/** `destination` lets tests capture what would be written (to check nothing secret is). */
export function createLogger(level: string, name = 'sales-sync', destination?: pino.DestinationStream): Logger {
  const options = { name, level, redact: { paths: redactPaths, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
