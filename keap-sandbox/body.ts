// Request-body validation for the operations. zod schemas mirror the spec's request schemas (field names,
// required fields, enums, documented bounds); failures become Keap-style 400 errors. Unknown properties
// are ignored, as Keap's JSON binding does (the spec-conformance checker in test/support flags them).
import type { z } from 'zod';
import { badRequest } from './errors';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  if (body === undefined) throw badRequest(`Request body is required (${what})`);
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map(String).join('.') || what;
    return issue.code === 'invalid_type' && /received undefined/.test(issue.message)
      ? `${path} is required`
      : `${path}: ${issue.message}`;
  });
  throw badRequest(`Invalid ${what}: ${problems.join('; ')}`);
}

/**
 * Reads `update_mask` in the spec's form for an array query parameter, exploded
 * (`update_mask=a&update_mask=b`), each value checked against the spec's enum. A comma-joined `a,b` is
 * one value that names no field, so it is a 400, as a strict Keap answers it: the sandbox must not
 * accept a form Keap may reject.
 */
export function parseUpdateMask(query: URLSearchParams, allowed: readonly string[]): Set<string> | undefined {
  const raw = query.getAll('update_mask');
  if (raw.length === 0) return undefined;
  const mask = new Set<string>();
  for (const part of raw) {
    const name = part.trim();
    if (name === '') continue;
    if (!allowed.includes(name)) {
      const hint = name.includes(',') ? ' (send one update_mask parameter per field)' : '';
      throw badRequest(`Invalid update_mask field '${name}'${hint}`);
    }
    mask.add(name);
  }
  return mask;
}

/** Reads the `fields` projection parameter (comma-delimited or repeated). */
export function parseFields(query: URLSearchParams): Set<string> | undefined {
  const raw = query.getAll('fields');
  if (raw.length === 0) return undefined;
  return new Set(
    raw
      .flatMap((v) => v.split(','))
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}

export const isoTime = (value: string): boolean =>
  !Number.isNaN(Date.parse(value)) && /^\d{4}-\d{2}-\d{2}T/.test(value);
