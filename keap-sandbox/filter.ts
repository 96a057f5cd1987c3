// Keap v2's `filter` query parameter: terms `field<op>value` joined by `;` (the client URL-encodes `==` as
// `%3D%3D`; URLSearchParams has already decoded it). Text fields allow a trailing `*` for a case-insensitive
// prefix match; equality on text is case-insensitive, like Keap's database collation.
import { badRequest } from './errors';

export type FilterOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

export interface FilterTerm {
  field: string;
  op: FilterOp;
  value: string;
}

const TERM = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|>=|<=|>|<)\s*(.*?)\s*$/;

export function parseFilter(raw: string | null): FilterTerm[] {
  if (raw === null || raw.trim() === '') return [];
  const terms: FilterTerm[] = [];
  for (const part of raw.split(';')) {
    if (part.trim() === '') continue; // Keap's own examples end with a stray `;`
    const m = TERM.exec(part);
    if (!m) throw badRequest(`Invalid filter term '${part}': expected field==value`);
    terms.push({ field: m[1] as string, op: m[2] as FilterOp, value: m[3] as string });
  }
  return terms;
}

export function requireOps(term: FilterTerm, ...ops: FilterOp[]): void {
  if (!ops.includes(term.op)) {
    throw badRequest(
      `Operator '${term.op}' is not supported for filter field '${term.field}' (allowed: ${ops.join(' ')})`,
    );
  }
}

export function unknownFilterField(term: FilterTerm, allowed: readonly string[]): never {
  throw badRequest(`Invalid filter field '${term.field}'. Allowed fields are: ${allowed.join(', ')}`);
}

/** Lower-cased key used by text indexes, so index hits and predicates agree on case-insensitivity. */
export const textKey = (value: string): string => value.toLowerCase();

export function isWildcard(value: string): boolean {
  return value.endsWith('*');
}

/** Case-insensitive equality, or a prefix match when `wildcard` is allowed and the value ends with `*`. */
export function textMatches(actual: string | undefined, pattern: string, wildcard: boolean): boolean {
  if (actual === undefined) return false;
  const a = actual.toLowerCase();
  const p = pattern.toLowerCase();
  if (wildcard && p.endsWith('*')) return a.startsWith(p.slice(0, -1));
  return a === p;
}

export function compare(actual: number, op: FilterOp, expected: number): boolean {
  switch (op) {
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
  }
}

export function parseIdValue(term: FilterTerm): number {
  const id = parseId(term.value);
  if (id === undefined) throw badRequest(`Invalid id '${term.value}' for filter field '${term.field}'`);
  return id;
}

export function parseIdList(term: FilterTerm): Set<number> {
  const ids = new Set<number>();
  for (const part of term.value.split(',')) {
    if (part.trim() === '') continue;
    const id = parseId(part.trim());
    if (id === undefined) throw badRequest(`Invalid id '${part}' for filter field '${term.field}'`);
    ids.add(id);
  }
  return ids;
}

export function parseBoolean(term: FilterTerm): boolean {
  const v = term.value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw badRequest(`Invalid boolean '${term.value}' for filter field '${term.field}'`);
}

export function parseTime(term: FilterTerm): number {
  const t = Date.parse(term.value);
  if (Number.isNaN(t)) throw badRequest(`Invalid ISO-8601 time '${term.value}' for filter field '${term.field}'`);
  return t;
}

/** Ids in paths and filters are decimal strings; anything else matches nothing. */
export function parseId(value: string): number | undefined {
  if (!/^[0-9]{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/** Accumulates index candidate sets and predicates for a list query. */
export class QueryPlan<T> {
  readonly candidates: ReadonlySet<number>[] = [];
  private readonly predicates: ((row: T) => boolean)[] = [];

  index(set: ReadonlySet<number>): this {
    this.candidates.push(set);
    return this;
  }

  where(predicate: (row: T) => boolean): this {
    this.predicates.push(predicate);
    return this;
  }

  predicate(): ((row: T) => boolean) | undefined {
    const ps = this.predicates;
    if (ps.length === 0) return undefined;
    return (row) => ps.every((p) => p(row));
  }
}
