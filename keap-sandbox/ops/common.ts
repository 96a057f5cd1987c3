// Helpers shared by the resource modules.
import { KeapError, notFound } from '../errors';
import { parseId } from '../filter';
import type { Table, Row } from '../store/table';

/** Looks a row up by its path id; unknown or malformed ids are 404, as for any missing resource. */
export function mustGet<T extends Row>(table: Table<T>, resource: string, rawId: string | undefined): T {
  const id = rawId === undefined ? undefined : parseId(rawId);
  const row = id === undefined ? undefined : table.get(id);
  if (!row) throw notFound(resource, rawId ?? '');
  return row;
}

/**
 * The sandbox lists in id order only. Ordering by id (or a creation time, which follows ids) is honoured;
 * anything else is a valid Keap request the sandbox does not emulate, so it says so (501) instead of
 * silently returning another order.
 */
export function checkOrderBy(query: URLSearchParams, idOrderedFields: readonly string[]): void {
  const raw = query.get('order_by');
  if (raw === null || raw.trim() === '') return;
  const [field, direction = 'asc', extra] = raw.trim().split(/[\s,]+/);
  if (
    extra === undefined &&
    field !== undefined &&
    idOrderedFields.includes(field) &&
    direction.toLowerCase() === 'asc'
  ) {
    return;
  }
  throw new KeapError(
    501,
    `order_by '${raw}' is not implemented by the Keap sandbox (supported: ${idOrderedFields.join(', ')} asc)`,
  );
}

export function notImplementedFilter(field: string): never {
  throw new KeapError(501, `Filter field '${field}' is valid in Keap but not implemented by the Keap sandbox`);
}

/** Copies defined values only, so optional response properties are omitted rather than null. */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}
