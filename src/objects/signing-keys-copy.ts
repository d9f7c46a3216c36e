import type { Kv } from "../store/kv.ts";
import { SIGNING_KEYS_KEY } from "../store/kv-keys.ts";
import { putAuthenticated } from "../store/kv-values.ts";
import { metaValue, setMetaValue } from "../store/registry-tables.ts";
import * as tables from "../store/signing-key-tables.ts";
import type { SigningKeysDocument } from "../store/signing-keys-document.ts";

/** registry_meta: the fingerprint of the KEK the signing keys are sealed with. */
export const KEK_META = "signing_kek";
/** registry_meta: the copy earlier versions kept in REVOCATIONS (private halves sealed) is deleted. */
const MOVED_META = "signing_keys_moved";

/**
 * The signing keys as isolates read them (docs/storage.md): every key in the JWKS with its
 * public half, and the sealed private half of the next and active keys only.
 */
export function signingKeysDocumentOf(sql: SqlStorage): SigningKeysDocument {
  return {
    kek: metaValue(sql, KEK_META) ?? "",
    keys: tables.publishedKeyRows(sql).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      state: k.state as "next" | "active" | "retiring",
      jwk: k.public_jwk,
      ...(k.sealed !== null && (k.state === "next" || k.state === "active") ? { sealed: k.sealed } : {}),
    })),
  };
}

/**
 * Puts the document into CLIENTS (a namespace only edge-token binds), authenticated: the
 * outbox's writer for it. The copy earlier versions kept in REVOCATIONS, which consumers were
 * told to bind, is deleted once.
 */
export async function writeSigningKeysCopy(c: {
  sql: SqlStorage;
  kekSecret: string | undefined;
  clients: Kv;
  revocations: Kv;
}): Promise<void> {
  if (tables.publishedKeyRows(c.sql).length === 0) return;
  await putAuthenticated(c.sql, c.clients, c.kekSecret, SIGNING_KEYS_KEY, JSON.stringify(signingKeysDocumentOf(c.sql)));
  if (metaValue(c.sql, MOVED_META) === undefined) {
    await c.revocations.delete(SIGNING_KEYS_KEY);
    setMetaValue(c.sql, MOVED_META, new Date().toISOString());
  }
}
