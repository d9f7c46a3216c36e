import { type Waiter, waitOwnTurn } from "./one-flight.ts";

/**
 * One task at a time, in the order they came, each run by its caller. A caller that finds the
 * mutex held waits on a promise of its own, resolved when its turn comes, and then runs its task
 * itself, with a timer of its own meanwhile (one-flight.ts says why). Chaining onto the promise of
 * another request's task instead (`tail.then(task)`) runs the task in that request's context:
 * its timers and I/O end with that request, and workerd cancels whatever still waits on them
 * as hung.
 */
export class Mutex {
  #held = false;
  readonly #turns: Waiter[] = [];

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#held) await waitOwnTurn(this.#turns);
    else this.#held = true;
    try {
      return await task();
    } finally {
      const next = this.#turns.shift();
      if (next) next.resolve();
      else this.#held = false;
    }
  }
}
