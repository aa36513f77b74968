/**
 * Pulled directories by `registry/repository@digest`, least recently used
 * first out, bounded by bytes. Content is addressed by its digest, so an
 * entry never goes stale; the registry is still asked for the manifest on
 * each pull (one request), so a reader without access to the repository
 * never gets its content from here.
 */
export class ContentCache<T> {
  private readonly entries = new Map<string, { value: T; bytes: number }>();
  private total = 0;
  hits = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    return entry.value;
  }

  /** Keeps the value unless it alone is larger than half the cache. */
  set(key: string, value: T, bytes: number): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.total -= old.bytes;
    }
    if (bytes > this.maxBytes / 2) return;
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(k);
      this.total -= e.bytes;
    }
  }

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }
}
