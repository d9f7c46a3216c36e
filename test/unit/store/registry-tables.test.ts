import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ALL_TOKENS, ALL_VERSIONS } from "../../../src/oauth/status.ts";
import {
  clientRevocation,
  liveClientRevocations,
  migrateClientRevocations,
  raiseClientRevocation,
  settleClientRevocation,
} from "../../../src/store/registry-tables.ts";

/** The registry's cut-off table on real Durable Object SQLite (a scratch object's storage). */
const scratch = (name: string) => env.CLIENT_LEDGER.getByName(`scratch ${name} ${crypto.randomUUID()}`);

describe("client_revocations", () => {
  it("a table from before version cut-offs gets its columns: deleted keys every version, the rest settled", async () => {
    await runInDurableObject(scratch("migration"), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("CREATE TABLE client_revocations (client_id TEXT PRIMARY KEY, not_after INTEGER NOT NULL)");
      sql.exec("CREATE TABLE write_through (client_id TEXT PRIMARY KEY)");
      sql.exec("INSERT INTO client_revocations VALUES ('narrowed', 1700000000), ('deleted', ?), ('behind', 1700000001)", ALL_TOKENS);
      sql.exec("INSERT INTO write_through VALUES ('behind')");
      migrateClientRevocations(sql, 1800000000);
      migrateClientRevocations(sql, 1900000000); // once only
      expect([clientRevocation(sql, "narrowed"), clientRevocation(sql, "deleted"), clientRevocation(sql, "behind")]).toStrictEqual([
        { v: 0, t: 1700000000 },
        { v: ALL_VERSIONS, t: ALL_TOKENS },
        { v: 0, t: 1700000001 },
      ]);
      // settled at the migration, except the one whose change has not reached KV
      expect(Object.keys(liveClientRevocations(sql, 1800000000 - 1))).toStrictEqual(["behind", "deleted", "narrowed"]);
      expect(Object.keys(liveClientRevocations(sql, 1800000000))).toStrictEqual(["behind"]);
    });
  });

  it("a cut-off only goes up, each part on its own, and is unsettled by every raise", async () => {
    await runInDurableObject(scratch("raise"), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("CREATE TABLE client_revocations (client_id TEXT PRIMARY KEY, not_after INTEGER NOT NULL)");
      sql.exec("CREATE TABLE write_through (client_id TEXT PRIMARY KEY)");
      migrateClientRevocations(sql, 100);
      expect(raiseClientRevocation(sql, "c", { v: 3, t: 500 })).toStrictEqual({ v: 3, t: 500 });
      expect(raiseClientRevocation(sql, "c", { v: 2, t: 900 })).toStrictEqual({ v: 3, t: 900 });
      settleClientRevocation(sql, "c", 1000);
      expect(liveClientRevocations(sql, 999)).toStrictEqual({ c: { v: 3, t: 900 } });
      expect(liveClientRevocations(sql, 1000)).toStrictEqual({});
      raiseClientRevocation(sql, "c", { v: 4, t: 0 });
      expect(liveClientRevocations(sql, 5000)).toStrictEqual({ c: { v: 4, t: 900 } });
    });
  });
});
