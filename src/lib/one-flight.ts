/**
 * One task at a time per key, for work many requests of an isolate would otherwise repeat at
 * once (a lease, a key set). A request that finds the task running waits on a promise of its
 * own, made in its own request and resolved when the task ends; it never awaits the running
 * task's promise. That promise belongs to another request, and workerd under load resumed such
 * waiters in the wrong request's context: their responses failed as "Cannot perform I/O on
 * behalf of a different request" (plain 500s the bench counted).
 */
export interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** How often a waiter's own timer fires while it waits (see waitOwnTurn). */
const HEARTBEAT_MS = 100;

/**
 * A promise of the waiter's own, with a timer of its own running until it settles: workerd
 * cancels, as hung, a request that awaits a promise with no I/O or timer of its own pending, and
 * a task another request runs (a lease from a Durable Object that waits a second for KV) can
 * outlast that judgement.
 */
export function waitOwnTurn(waiting: { push(w: Waiter): unknown }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const heartbeat = setInterval(() => {}, HEARTBEAT_MS);
    waiting.push({
      resolve: () => {
        clearInterval(heartbeat);
        resolve();
      },
      reject: (error) => {
        clearInterval(heartbeat);
        reject(error);
      },
    });
  });
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
    if (waiting) return waitOwnTurn(waiting);
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
