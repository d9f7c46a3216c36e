import { Mutex } from "../lib/mutex.ts";
import { nowSeconds } from "../lib/time.ts";
import * as tables from "../store/registry-tables.ts";
import { type KeyWriter, writeThrough } from "../store/write-through.ts";

/** A write-through KV refused is tried again this much later, by the registry's alarm. */
const RETRY_MS = 10_000;

/**
 * The registry's keys as the edge reads them: each change written through to KV after its
 * transaction, one at a time, in commit order. A key whose KV copy an earlier write already
 * brought up to date (its row no longer in `write_through`) is not written again, so a burst of
 * changes to one key does not run into KV's one write a second to a key.
 */
export class KeyCopies {
  readonly #writing = new Mutex();
  readonly #sql: SqlStorage;
  readonly #writer: () => KeyWriter;
  readonly #wake: (at: number) => Promise<void>;

  constructor(sql: SqlStorage, writer: () => KeyWriter, wake: (at: number) => Promise<void>) {
    this.#sql = sql;
    this.#writer = writer;
    this.#wake = wake;
  }

  /** Writes a client's current state into KV; false (and the alarm set) when KV refused. */
  write(clientId: string): Promise<boolean> {
    return this.#writing.run(async () => {
      const row = tables.keyByClientId(this.#sql, clientId);
      if (!row || !tables.behind(this.#sql).includes(clientId)) return true;
      const version = row.version;
      try {
        await writeThrough(this.#writer(), row);
      } catch (error) {
        console.error(
          JSON.stringify({
            level: "error",
            registry: "write-through failed; retried by the alarm",
            client_id: clientId,
            error: String(error),
          }),
        );
        await this.#wake(Date.now() + RETRY_MS);
        return false;
      }
      // A change committed while this write ran is marked again and written next.
      if (tables.keyByClientId(this.#sql, clientId)?.version === version) {
        tables.markCaughtUp(this.#sql, clientId);
        tables.settleClientRevocation(this.#sql, clientId, nowSeconds());
      }
      return true;
    });
  }

  /** Every write-through that has not reached KV yet. */
  async retry(): Promise<void> {
    await Promise.all(tables.behind(this.#sql).map((clientId) => this.write(clientId)));
  }
}
