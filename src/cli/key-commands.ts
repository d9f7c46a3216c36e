import { unstable_readConfig } from "wrangler";
import { type ScopeSettings, scopeSettings } from "../config/vocabulary.ts";
import { type AuthMethodName, type Permissions, permissionsOf, type TokenQuota } from "../store/application-keys.ts";
import type { AuditLine, AuditRecord, NewKey } from "../store/registry-protocol.ts";
import { type AuditNames, keyAuditLines, namesOf } from "./audit-text.ts";
import { type KeyAdmin, openKeyAdmin, type SigningKeyState, type Target } from "./key-admin.ts";
import { ROOT } from "./wrangler.ts";

export type { Target } from "./key-admin.ts";

/** What `keys create` prints: the only time the secret is shown (a private_key_jwt key has none). */
export interface CreatedApplicationKey extends Permissions {
  id: string;
  client_id: string;
  client_secret?: string;
  name: string;
  token_quota?: TokenQuota;
  implicit_quota?: TokenQuota;
  token_endpoint_auth_method?: AuthMethodName;
  dpop_bound_access_tokens?: boolean;
}

async function withKeyAdmin<T>(target: Target, fn: (admin: KeyAdmin) => Promise<T>): Promise<T> {
  const admin = await openKeyAdmin(target);
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** The scope vocabulary the target Worker runs with: SCOPES, PUBLIC_SCOPES, DEFAULT_SCOPE, DEFAULT_GRANT_TYPES from wrangler.toml's [vars]. */
export function targetScopes(target: Target): ScopeSettings {
  const config = unstable_readConfig({ config: target.config ?? `${ROOT}/wrangler.toml`, env: target.env });
  return scopeSettings((config.vars ?? {}) as Record<string, string>);
}

/** One JSON line on stderr for every change, as the admin API logs one (stdout carries the result). */
function logAudit(audit: AuditLine): void {
  console.error(JSON.stringify({ level: "info", audit }));
}

/** A key, made by the registry (the one writer). */
export function createApplicationKey(a: NewKey, target: Target): Promise<CreatedApplicationKey> {
  return withKeyAdmin(target, async (admin) => {
    const { record, client_secret, audit } = await admin.create(a);
    logAudit(audit);
    return {
      id: record.id,
      client_id: record.client_id,
      ...(client_secret === undefined ? {} : { client_secret }),
      name: record.name,
      scope: a.scope,
      grant_types: a.grant_types,
      ...(record.token_quota ? { token_quota: record.token_quota } : {}),
      ...(record.implicit_quota ? { implicit_quota: record.implicit_quota } : {}),
      ...(record.token_endpoint_auth_method ? { token_endpoint_auth_method: record.token_endpoint_auth_method } : {}),
      ...(record.dpop_bound_access_tokens ? { dpop_bound_access_tokens: true } : {}),
    };
  });
}

export function listApplicationKeys(target: Target) {
  return withKeyAdmin(target, async (admin) =>
    (await admin.list()).map((r) => {
      const { scope, grant_types, legacy } = permissionsOf(r);
      const { id, client_id, name, created_at, updated_at, created_by, token_quota, implicit_quota, previous_secret_expires_at } = r;
      return {
        id,
        client_id,
        name,
        scope,
        grant_types,
        ...(token_quota ? { token_quota } : {}),
        ...(implicit_quota ? { implicit_quota } : {}),
        // a rotated-out secret that still works (the admin API's listing, --remote, shows no digest: its time is enough)
        ...(previous_secret_expires_at && Date.parse(previous_secret_expires_at) > Date.now() ? { previous_secret_expires_at } : {}),
        created_at,
        updated_at,
        created_by,
        ...(legacy ? { legacy_permissions: true } : {}),
      };
    }),
  );
}

/** As the admin API's DELETE: every token of the key is revoked, for good. */
export function deleteApplicationKey(id: string, target: Target): Promise<boolean> {
  return withKeyAdmin(target, async (admin) => {
    const deleted = await admin.remove(id);
    if (deleted) logAudit(deleted.audit);
    return deleted !== false;
  });
}

/** The signing keys (the first made if there are none) and whether the KEK opens them: what npm start checks before it serves. */
export function signingKeyState(target: Target): Promise<SigningKeyState> {
  return withKeyAdmin(target, (admin) => admin.signingKeys({ make: true }));
}

/** The registry's audit trail, oldest first; of one key with `keyId`, of one action with `action`. */
export function auditTrail(keyId: string | undefined, action: string | undefined, target: Target): Promise<AuditRecord[]> {
  return withKeyAdmin(target, async (admin) => (await admin.audit(keyId)).filter((e) => action === undefined || e.action === action));
}

/** The same trail in words, a line per entry (audit-text.ts): keys and actors by name where the keys listed now know them. */
export function readableAuditTrail(keyId: string | undefined, action: string | undefined, target: Target): Promise<string[]> {
  return withKeyAdmin(target, async (admin) => {
    const entries = (await admin.audit(keyId)).filter((e) => action === undefined || e.action === action);
    return keyAuditLines(entries, await listedNames(admin));
  });
}

/** Names for a trail's ids: the keys listed now, or none when the list cannot be read (a remote key without application_keys). */
export async function listedNames(admin: KeyAdmin): Promise<AuditNames> {
  try {
    return namesOf(await admin.list());
  } catch {
    return namesOf(undefined);
  }
}
