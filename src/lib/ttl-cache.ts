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
    // Crude but bounded: an isolate under a flood of distinct keys starts over.
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(key, { value, until: now + ttlMs });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
