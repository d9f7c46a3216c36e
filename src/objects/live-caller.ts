import { HttpError } from "../lib/errors.ts";
import { nowSeconds } from "../lib/time.ts";
import { revokedByCutoff } from "../oauth/status.ts";
import type { Caller } from "../store/registry-protocol.ts";
import * as tables from "../store/registry-tables.ts";
import { kidMayAct } from "../store/signing-key-tables.ts";
import { tokenRevocation } from "../store/status-tables.ts";

/**
 * The acting token as the registry knows it now, from its own tables whatever any KV copy says:
 * not live when its key is deleted, the token is below its key's cut-off, revoked (by jti, or by
 * its status bit as the list's owner answered it: `bitSet`), or signed by a kid that is not
 * published or that an emergency rotation revoked.
 */
export function isLive(sql: SqlStorage, caller: Extract<Caller, { kind: "key" }>, bitSet: boolean): boolean {
  const c = caller.claims;
  const row = tables.keyByClientId(sql, c.client_id);
  return (
    row !== undefined &&
    row.deleted_at === null &&
    !revokedByCutoff(c, tables.clientRevocation(sql, c.client_id)) &&
    !bitSet &&
    tokenRevocation(sql, c.jti) === undefined &&
    kidMayAct(sql, c.kid, nowSeconds())
  );
}

/**
 * Throws unless the acting token is live: 503 when its list's owner could not say whether its
 * bit is set (`bit` undefined: never guessed), 401 when it is not live.
 */
export function assertLive(sql: SqlStorage, caller: Extract<Caller, { kind: "key" }>, bit: boolean | undefined): void {
  if (bit === undefined) {
    throw new HttpError(503, "temporarily_unavailable", "The token's status cannot be checked at the moment: try again shortly.", {
      headers: { "Retry-After": "5" },
    });
  }
  if (!isLive(sql, caller, bit)) throw new HttpError(401, "invalid_token", "The access token is missing, invalid, expired or revoked.");
}
