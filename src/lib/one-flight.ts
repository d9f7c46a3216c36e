/**
 * One task at a time per key, for work many requests of an isolate would otherwise repeat at
 * once (a lease, a key set). A request that finds the task running waits on a promise of its
 * own, made in its own request and resolved when the task ends; it never awaits the running
 * task's promise. That promise belongs to another request, and workerd under load resumed such
 * waiters in the wrong request's context: their responses failed as "Cannot perform I/O on
 * behalf of a different request" (plain 500s the bench counted).
 */
interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class OneFlight {
  readonly #waiting = new Map<string, Waiter[]>();

  /** Whether a task for `key` is running now. */
  busy(key: string): boolean {
    return this.#waiting.has(key);
  }

  /**
   * Runs `task` for `key`, or, while one runs, waits for it to end. Either way it settles as
   * the task did: the task's error is thrown to every caller that waited for it too. What the
   * task produced, the callers read from where it left it.
   */
  async run(key: string, task: () => Promise<void>): Promise<void> {
    const waiting = this.#waiting.get(key);
    // Not Promise.withResolvers: the verifier this serves runs on Node 20 as well.
    if (waiting) return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    const waiters: Waiter[] = [];
    this.#waiting.set(key, waiters);
    try {
      await task();
      for (const w of waiters) w.resolve();
    } catch (error) {
      for (const w of waiters) w.reject(error);
      throw error;
    } finally {
      this.#waiting.delete(key);
    }
  }
}
