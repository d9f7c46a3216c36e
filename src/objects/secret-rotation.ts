import { HttpError } from "../lib/errors.ts";
import { staleRecordSeconds } from "../lib/limits.ts";
import type { Cutoff } from "../oauth/status.ts";
import { type ApplicationKey, authMethodOf } from "../store/application-keys.ts";
import { CUTOFFS_KEY } from "../store/kv-keys.ts";
import * as tables from "../store/registry-tables.ts";
import type { KeyChange } from "./change-commit.ts";
import type { Outbox } from "./outbox.ts";

/**
 * A key's secret replaced, inside the registry's transaction (`hash`: the new secret's digest).
 * The secret it replaces authenticates beside it for `keepOldSeconds` more: the time is in the
 * record, checked at each authentication, so every copy of the record stops taking it then, KV
 * or no KV. A previous secret still in its overlap ends at once: never more than two. With 0
 * (a leaked secret) the old one ends at once, and every token minted from the records before
 * this one is revoked as a narrowing revokes them: a stale copy of the record, which takes the
 * old secret until the new record reaches it, mints only tokens the cut-offs refuse. A
 * private_key_jwt key has no secret: its keys rotate by replacing its jwks.
 */
export function rotateSecret(
  sql: SqlStorage,
  outbox: Outbox,
  current: tables.KeyRow,
  hash: string,
  keepOldSeconds: number,
  clientCacheSeconds: number,
  now = new Date(),
): Omit<KeyChange, "caller"> {
  if (authMethodOf(current.record) === "private_key_jwt") {
    throw new HttpError(
      409,
      "conflict",
      "This key holds no secret: it proves itself with private_key_jwt, and its keys rotate by replacing its jwks (PUT the new key beside the old one, then the set without it).",
    );
  }
  const { previous_secret_hash: _, previous_secret_expires_at: __, ...rest } = current.record;
  const until = new Date(now.getTime() + keepOldSeconds * 1000).toISOString();
  const old = current.record.secret_hash;
  const after: ApplicationKey = {
    ...rest,
    secret_hash: hash,
    updated_at: now.toISOString(),
    ...(keepOldSeconds > 0 && old ? { previous_secret_hash: old, previous_secret_expires_at: until } : {}),
  };
  let revocation: Cutoff | undefined;
  if (keepOldSeconds === 0) {
    revocation = tables.raiseClientRevocation(sql, current.client_id, {
      v: current.version + 1,
      t: Math.floor(now.getTime() / 1000) + staleRecordSeconds(clientCacheSeconds),
    });
    outbox.mark(CUTOFFS_KEY);
  }
  tables.replaceKey(sql, current, after);
  return {
    action: "rotate_secret",
    id: current.id,
    clientId: current.client_id,
    before: current.record,
    after,
    revocation,
    previousSecretExpiresAt: until,
    at: now.getTime(),
  };
}
