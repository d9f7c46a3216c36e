import { KV_WRITE_INTERVAL_MS } from "../lib/limits.ts";
import { Mutex } from "../lib/mutex.ts";
import { isAuthenticated } from "../store/authenticated.ts";
import { changed } from "../store/kv-values.ts";
import * as tables from "../store/status-tables.ts";

/** A KV write of a document that failed is tried again this much later. */
const RETRY_MS = 10_000;

/**
 * The registry's KV documents that are behind its tables (the status lists, the cut-offs, the
 * signing keys): a document changed in a transaction is marked in the outbox table there, and
 * written after it by `publish`, each KV key at most once a second (KV's limit), a failed
 * write retried by the registry's alarm. `write` makes a document from the tables and puts it.
 */
export class Outbox {
  /** A document's changes since this instance started; one written at its count then is still current if the count is unchanged. */
  readonly #changes = new Map<string, number>();
  /** Per document, the change count the latest write that reached KV carried. */
  readonly #carried = new Map<string, number>();
  /** When each KV key was last written (epoch ms). */
  readonly #written = new Map<string, number>();
  readonly #failed = new Set<string>();
  readonly #publishing = new Mutex();
  /** The write of each document under way, if any: one at a time per document. */
  readonly #writing = new Map<string, Promise<void>>();
  readonly #sql: SqlStorage;
  readonly #write: (document: string) => Promise<void>;

  constructor(sql: SqlStorage, write: (document: string) => Promise<void>) {
    this.#sql = sql;
    this.#write = write;
  }

  /** Marks a KV document as behind the tables: written by the next `publish`. Inside the change's transaction. */
  mark(document: string): void {
    tables.markUnpublished(this.#sql, document);
    if (isAuthenticated(document)) changed(this.#sql, document);
    this.#changes.set(document, (this.#changes.get(document) ?? 0) + 1);
  }

  /**
   * Writes every marked document, one pass at a time: a document KV took less than a second ago
   * is written once the second is up, with every change made meanwhile. A caller waits for its
   * own change to reach KV (or to fail, and be left to the alarm), so a burst of changes to one
   * document costs one write a second, each answered within about a second.
   */
  publish(): Promise<void> {
    return this.#publishing.run(() => this.#pass());
  }

  /**
   * Writes `document` if it is marked, and nothing else: what a caller that needs only it waits
   * for (a lease, its list), never behind a pass writing other documents. One write of a
   * document at a time, whoever asks.
   */
  async publishOnly(document: string): Promise<void> {
    if (tables.unpublished(this.#sql).includes(document)) await this.#publishOne(document);
  }

  async #pass(): Promise<void> {
    for (const document of tables.unpublished(this.#sql)) await this.#publishOne(document);
  }

  /**
   * Returns once a write of `document` that carries every change made to it so far has reached
   * KV (or failed, and is left to the alarm). A caller whose change a write under way, or one
   * another caller starts, already carries waits for that write and makes none of its own: a
   * queue of revocations to one list is answered with the writes that carry them, one a second,
   * not one each.
   */
  async #publishOne(document: string): Promise<void> {
    const mine = this.#changes.get(document) ?? 0;
    for (;;) {
      if ((this.#carried.get(document) ?? -1) >= mine || !tables.unpublished(this.#sql).includes(document)) return;
      const running = this.#writing.get(document);
      if (running) {
        await running;
        continue;
      }
      const done = this.#writeOnce(document);
      this.#writing.set(
        document,
        done.then(() => undefined),
      );
      try {
        if (!(await done)) return; // failed: left to the alarm
      } finally {
        this.#writing.delete(document);
      }
    }
  }

  /** One write of a marked document, once its second is up; false when KV refused it. */
  async #writeOnce(document: string): Promise<boolean> {
    // At most a second, whatever the clock did meanwhile.
    const wait = Math.min(KV_WRITE_INTERVAL_MS, (this.#written.get(document) ?? 0) + KV_WRITE_INTERVAL_MS - Date.now());
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (!tables.unpublished(this.#sql).includes(document)) return true;
    const seen = this.#changes.get(document) ?? 0;
    try {
      await this.#write(document);
      this.#failed.delete(document);
    } catch (error) {
      this.#failed.add(document);
      console.error(
        JSON.stringify({ level: "error", registry: "document not written to KV; retried by the alarm", document, error: String(error) }),
      );
      return false;
    } finally {
      this.#written.set(document, Date.now());
    }
    this.#carried.set(document, Math.max(this.#carried.get(document) ?? -1, seen));
    if ((this.#changes.get(document) ?? 0) === seen) tables.markPublished(this.#sql, document);
    return true;
  }

  /** When the alarm must next run for the outbox (epoch ms): a document due, or one to retry. */
  dueAt(now = Date.now()): number | undefined {
    const times = tables.unpublished(this.#sql).map((d) => (this.#failed.has(d) ? (this.#written.get(d) ?? now) + RETRY_MS : now));
    return times.length > 0 ? Math.max(now, Math.min(...times)) : undefined;
  }
}
