/**
 * Remembers what a worker looked up in Keap (per Keap app), so repeat orders cost no calls.
 * Concurrent lookups of one key share one promise (two orders for a new product create it once);
 * a failed lookup is forgotten at once, and entries expire after the TTL so a change in Keap is
 * seen again.
 */
export class PromiseCache<T> {
  private readonly entries = new Map<string, { value: Promise<T>; expires: number }>();

  constructor(private readonly ttlMs: number = Number.POSITIVE_INFINITY) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const entry = this.entries.get(key);
    if (entry && entry.expires > now) return entry.value;
    const value = load();
    this.entries.set(key, { value, expires: now + this.ttlMs });
    value.catch(() => this.entries.delete(key));
    return value;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
