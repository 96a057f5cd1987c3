/**
 * The API's one error shape and mapping: every failure answers
 * `{ error: { code, message, details? } }` with a 4xx that says what was wrong, or a 500 that says
 * nothing internal. Malformed JSON and oversized bodies are caught here, never crash the server.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../platform/logger';

export interface FieldProblem {
  path: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
  }
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};

/** body-parser and express raise errors with these `type`s; each has a 4xx meaning. */
const BODY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'body_too_large', message: 'The request body is too large' },
  'encoding.unsupported': { status: 415, code: 'unsupported_encoding', message: 'Unsupported content encoding' },
  'charset.unsupported': { status: 415, code: 'unsupported_charset', message: 'Unsupported charset' },
  'request.aborted': { status: 400, code: 'request_aborted', message: 'The request was aborted' },
  'request.size.invalid': { status: 400, code: 'invalid_body_size', message: 'The request body size is invalid' },
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let http: HttpError;
    if (error instanceof HttpError) {
      http = error;
    } else {
      const type = (error as { type?: unknown } | null)?.type;
      const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
      const status = (error as { status?: unknown } | null)?.status;
      if (known) {
        http = new HttpError(known.status, known.code, known.message);
      } else if (error instanceof URIError && status === 400) {
        // Express's router could not percent-decode a path parameter (e.g. `/v1/accounts/%E0%A4%A`).
        http = new HttpError(400, 'invalid_path', 'The request path is not valid percent-encoded UTF-8');
      } else if (typeof status === 'number' && status >= 400 && status < 500) {
        // Any other client error a middleware marked as such: a 4xx, never a 500 for bad input.
        http = new HttpError(status, 'bad_request', 'The request could not be processed as sent');
      } else {
        logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
        http = new HttpError(500, 'internal_error', 'Something went wrong on our side; it has been logged.');
      }
    }
    if (res.headersSent) return;
    res.status(http.status).json({ error: { code: http.code, message: http.message, details: http.details } });
  };
}
