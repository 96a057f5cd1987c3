import type { z } from 'zod';
import { HttpError } from './errors';
import type { FieldProblem } from './errors';

/** Parses input with a zod schema, or answers 400 listing every field that is wrong. */
export function parseOrReject<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details: FieldProblem[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  const summary = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  throw new HttpError(400, 'validation_failed', `Invalid ${what}: ${summary}`, details);
}
