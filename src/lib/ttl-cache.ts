/**
 * A small isolate-memory cache with a lifetime per entry and a bound on its size. Module
 * scope lives as long as the isolate, so this is where per-isolate caches of KV reads live;
 * never per-request data.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  get(key: string, now = Date.now()): V | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (e.until <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    if (ttlMs <= 0) return;
    this.#entries.delete(key); // a key set again is the newest, in the Map's insertion order
    if (this.#entries.size >= this.#max) this.#makeRoom(now);
    this.#entries.set(key, { value, until: now + ttlMs });
  }

  /**
   * Bounded without forgetting everything at once (a replay memory wiped by one flood of fresh
   * entries would let a captured proof through): expired entries go first; if the cache is
   * still full, the oldest tenth. O(size), once per tenth of `max` insertions at worst.
   */
  #makeRoom(now: number): void {
    for (const [k, e] of this.#entries) if (e.until <= now) this.#entries.delete(k);
    let excess = this.#entries.size - this.#max + Math.max(1, Math.floor(this.#max / 10));
    if (this.#entries.size < this.#max) return;
    for (const k of this.#entries.keys()) {
      if (excess-- <= 0) break;
      this.#entries.delete(k);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
