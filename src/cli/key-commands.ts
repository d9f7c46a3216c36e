import { unstable_readConfig } from "wrangler";
import { type ScopeSettings, scopeSettings } from "../policy/vocabulary.ts";
import { createAppKey, deleteAppKey, listAppKeys } from "../store/application-key-store.ts";
import { type Permissions, permissionsOf } from "../store/client-record.ts";
import { type Namespaces, openNamespaces, type Target } from "./namespaces.ts";
import { ROOT } from "./wrangler.ts";

/** What `keys create` prints: the only time the secret is shown. */
export interface CreatedClient extends Permissions {
  id: string;
  client_id: string;
  client_secret: string;
  name: string;
}

/** The operator at the command line: the root of authority, not a key. */
const CLI_ACTOR = "cli";

async function withNamespaces<T>(target: Target, fn: (ns: Namespaces) => Promise<T>): Promise<T> {
  const ns = await openNamespaces(target);
  try {
    return await fn(ns);
  } finally {
    await ns.close();
  }
}

/** The scope vocabulary the target Worker runs with: SCOPES, PUBLIC_SCOPES, DEFAULT_SCOPE from wrangler.toml's [vars]. */
export function targetScopes(target: Target): ScopeSettings {
  const config = unstable_readConfig({ config: `${ROOT}/wrangler.toml`, env: target.env });
  return scopeSettings((config.vars ?? {}) as Record<string, string>);
}

/** One JSON line on stderr for every change, as the admin API logs one (stdout carries the result). */
function audit(action: "create" | "delete", keyId: string, oldScope: string | null, newScope: string | null): void {
  console.error(
    JSON.stringify({ level: "info", audit: { actor: CLI_ACTOR, action, key_id: keyId, old_scope: oldScope, new_scope: newScope } }),
  );
}

/** The same store code as the admin API's POST: index first, record second. */
export function createClient(a: { name: string } & Permissions, target: Target): Promise<CreatedClient> {
  return withNamespaces(target, async ({ CLIENTS }) => {
    const { record, clientSecret } = await createAppKey(CLIENTS, { ...a, created_by: CLI_ACTOR });
    audit("create", record.id, null, a.scope);
    return {
      id: record.id,
      client_id: record.client_id,
      client_secret: clientSecret,
      name: record.name,
      scope: a.scope,
      grant_types: a.grant_types,
    };
  });
}

export function listClients(target: Target) {
  return withNamespaces(target, async ({ CLIENTS }) => {
    const all = [];
    for (let offset = 0; ; offset += 100) {
      const { records, total } = await listAppKeys(CLIENTS, 100, offset);
      all.push(
        ...records.map((r) => {
          const { scope, grant_types, legacy } = permissionsOf(r);
          const { id, client_id, name, created_at, updated_at, created_by } = r;
          return {
            id,
            client_id,
            name,
            scope,
            grant_types,
            created_at,
            updated_at,
            created_by,
            ...(legacy ? { legacy_permissions: true } : {}),
          };
        }),
      );
      if (offset + 100 >= total) return all;
    }
  });
}

/** As the admin API's DELETE: every token of the key is revoked before the key goes. */
export function deleteClient(id: string, target: Target): Promise<boolean> {
  return withNamespaces(target, async ({ CLIENTS, REVOCATIONS }) => {
    const deleted = await deleteAppKey(CLIENTS, REVOCATIONS, id);
    if (deleted) audit("delete", id, deleted.record ? permissionsOf(deleted.record).scope : null, null);
    return deleted !== null;
  });
}
