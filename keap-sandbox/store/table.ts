// An in-memory table with secondary hash indexes and id-cursor paging. Benchmarks keep tens of thousands of
// orders in here, so lookups by indexed value are O(1) and a page costs O(page) plus a binary search, never
// a scan of the whole table unless the filter has nothing indexable.

export interface Row {
  id: number;
}

/** Index keys of a row; several keys make a multi-valued index (e.g. every email of a contact). */
export type KeyFn<T> = (row: T) => readonly string[];

interface Index<T> {
  keys: KeyFn<T>;
  map: Map<string, Set<number>>;
}

export interface PageQuery<T> {
  /** Candidate ids from index lookups (the smallest is used); undefined = all rows. */
  candidates?: readonly ReadonlySet<number>[];
  /** Full check of every filter term; candidates only narrow the search. */
  predicate?: (row: T) => boolean;
  /** Only rows with id > afterId (the page cursor). */
  afterId: number;
  limit: number;
}

export interface Page<T> {
  rows: T[];
  /** True when at least one more matching row exists after the last returned one. */
  more: boolean;
}

const EMPTY: ReadonlySet<number> = new Set<number>();

export class Table<T extends Row> {
  private readonly rows = new Map<number, T>();
  /** Ids in ascending order; ids are allocated increasingly, so appending keeps it sorted. */
  private ids: number[] = [];
  private readonly indexes = new Map<string, Index<T>>();
  private seq: number;

  constructor(private readonly firstId = 1) {
    this.seq = firstId;
  }

  get size(): number {
    return this.rows.size;
  }

  nextId(): number {
    return this.seq++;
  }

  addIndex(name: string, keys: KeyFn<T>): void {
    const index: Index<T> = { keys, map: new Map() };
    for (const row of this.rows.values()) this.indexRow(index, row);
    this.indexes.set(name, index);
  }

  get(id: number): T | undefined {
    return this.rows.get(id);
  }

  insert(row: T): T {
    if (this.rows.has(row.id)) throw new Error(`duplicate id ${row.id}`);
    const last = this.ids[this.ids.length - 1];
    if (last !== undefined && row.id < last) throw new Error('ids must be inserted in increasing order');
    this.rows.set(row.id, row);
    this.ids.push(row.id);
    for (const index of this.indexes.values()) this.indexRow(index, row);
    return row;
  }

  /** Mutates a row in place and keeps the indexes in step (only changed keys are touched). */
  update(row: T, mutate: (row: T) => void): T {
    const before = new Map<Index<T>, readonly string[]>();
    for (const index of this.indexes.values()) before.set(index, index.keys(row));
    mutate(row);
    for (const [index, oldKeys] of before) {
      const newKeys = index.keys(row);
      for (const key of oldKeys) if (!newKeys.includes(key)) this.unindexKey(index, key, row.id);
      for (const key of newKeys) if (!oldKeys.includes(key)) this.indexKey(index, key, row.id);
    }
    return row;
  }

  delete(id: number): boolean {
    const row = this.rows.get(id);
    if (!row) return false;
    for (const index of this.indexes.values()) for (const key of index.keys(row)) this.unindexKey(index, key, id);
    this.rows.delete(id);
    // Deletes are rare (orders without payments), so the O(n) splice is acceptable.
    const at = lowerBound(this.ids, id);
    if (this.ids[at] === id) this.ids.splice(at, 1);
    return true;
  }

  lookup(indexName: string, key: string): ReadonlySet<number> {
    const index = this.indexes.get(indexName);
    if (!index) throw new Error(`no index ${indexName}`);
    return index.map.get(key) ?? EMPTY;
  }

  page(query: PageQuery<T>): Page<T> {
    const { predicate, afterId, limit } = query;
    let smallest: ReadonlySet<number> | undefined;
    for (const set of query.candidates ?? []) if (!smallest || set.size < smallest.size) smallest = set;

    const out: T[] = [];
    const accept = (row: T): boolean => {
      if (predicate && !predicate(row)) return false;
      if (out.length === limit) return true; // found one more than the page: there is a next page
      out.push(row);
      return false;
    };

    if (smallest && smallest.size * 8 <= this.ids.length) {
      // Selective index hit: sort the few candidates instead of walking the table.
      const ids = [...smallest].filter((id) => id > afterId).sort((a, b) => a - b);
      for (const id of ids) {
        const row = this.rows.get(id);
        if (row && accept(row)) return { rows: out, more: true };
      }
      return { rows: out, more: false };
    }
    const candidates = smallest;
    for (let i = upperBound(this.ids, afterId); i < this.ids.length; i++) {
      const id = this.ids[i] as number;
      if (candidates && !candidates.has(id)) continue;
      const row = this.rows.get(id);
      if (row && accept(row)) return { rows: out, more: true };
    }
    return { rows: out, more: false };
  }

  values(): IterableIterator<T> {
    return this.rows.values();
  }

  clear(): void {
    this.rows.clear();
    this.ids = [];
    for (const index of this.indexes.values()) index.map.clear();
    this.seq = this.firstId;
  }

  /** The id the next `nextId()` returns (persistence). */
  peekNextId(): number {
    return this.seq;
  }

  /**
   * Replaces every row and the id sequence (loading persisted state): rows are inserted in id order and the
   * indexes rebuilt. `nextId` must be above every row id, so no id is ever handed out twice.
   */
  load(rows: Iterable<T>, nextId: number): void {
    const sorted = [...rows].sort((a, b) => a.id - b.id);
    const last = sorted[sorted.length - 1];
    if (!Number.isSafeInteger(nextId) || nextId < this.firstId || (last !== undefined && nextId <= last.id)) {
      throw new Error(`next id ${nextId} must be an integer above every row id (${last?.id ?? 'none'})`);
    }
    this.clear();
    for (const row of sorted) this.insert(row);
    this.seq = nextId;
  }

  private indexRow(index: Index<T>, row: T): void {
    for (const key of new Set(index.keys(row))) this.indexKey(index, key, row.id);
  }

  private indexKey(index: Index<T>, key: string, id: number): void {
    let set = index.map.get(key);
    if (!set) index.map.set(key, (set = new Set()));
    set.add(id);
  }

  private unindexKey(index: Index<T>, key: string, id: number): void {
    const set = index.map.get(key);
    if (!set) return;
    set.delete(id);
    if (set.size === 0) index.map.delete(key);
  }
}

/** First position whose id is >= target. */
function lowerBound(ids: readonly number[], target: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First position whose id is > target. */
function upperBound(ids: readonly number[], target: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as number) <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
