import { requireKeyManager } from "../auth/key-manager.ts";
import { type Env, settings } from "../env.ts";
import { type AuditEntry, context } from "../http/context.ts";
import { badRequest, HttpError } from "../http/errors.ts";
import { readJson } from "../http/json.ts";
import { json, NO_STORE } from "../http/response.ts";
import { assertMayDelete, assertMayGive, assertMayUpdate, narrows } from "../policy/key-management.ts";
import { createAppKey, deleteAppKey, getAppKey, listAppKeys, updateAppKey } from "../store/application-key-store.ts";
import { clientsKv, revocationsKv } from "../store/bindings.ts";
import { type ClientRecord, permissionsOf } from "../store/client-record.ts";
import { revokeClient } from "../store/revocations.ts";
import { keyAttributes } from "./application-key-body.ts";

/**
 * /v2/application-keys, in Elastic Path's JSON:API shape. Every call needs a token with the
 * application_keys scope; the secret appears only in the 201. Creates, updates and deletes
 * put an audit entry on the request's log line.
 */

export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 25;

export async function createKey(request: Request, env: Env): Promise<Response> {
  const caller = await requireKeyManager(request, env);
  const s = settings(env);
  const a = keyAttributes(await readJson(request), s, "create");
  const permissions = { scope: a.scope ?? s.defaultScope, grant_types: a.grant_types ?? s.defaultGrantTypes };
  assertMayGive(caller, permissions);
  const { record, clientSecret } = await createAppKey(clientsKv(env), { name: a.name!, ...permissions, created_by: caller.client_id });
  audit(request, { actor: caller.client_id, action: "create", key_id: record.id, old_scope: null, new_scope: record.scope! });
  return json({ data: resource(record, clientSecret) }, 201, NO_STORE);
}

export async function listKeys(request: Request, env: Env): Promise<Response> {
  await requireKeyManager(request, env);
  const query = new URL(request.url).searchParams;
  const limit = pageParam(query, "page[limit]", DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT);
  const offset = pageParam(query, "page[offset]", 0, 0, Number.MAX_SAFE_INTEGER);
  const { records, total } = await listAppKeys(clientsKv(env), limit, offset);
  return json(
    {
      data: records.map((r) => resource(r)),
      meta: {
        page: { limit, offset, current: Math.floor(offset / limit) + 1, total: Math.max(1, Math.ceil(total / limit)) },
        results: { total },
      },
    },
    200,
    NO_STORE,
  );
}

export async function getKey(request: Request, env: Env): Promise<Response> {
  await requireKeyManager(request, env);
  const record = await getAppKey(clientsKv(env), keyId(request));
  if (!record) throw notFound();
  return json({ data: resource(record) }, 200, NO_STORE);
}

/**
 * Changes name, scope or grant types. Narrowing what a key may do revokes the tokens it holds
 * (every token issued up to now), before the narrower record is written: a failure in between
 * leaves fewer live tokens, never more.
 */
export async function updateKey(request: Request, env: Env): Promise<Response> {
  const caller = await requireKeyManager(request, env);
  const changes = keyAttributes(await readJson(request), settings(env), "update");
  const updated = await updateAppKey(clientsKv(env), keyId(request), changes, async (current) => {
    if (changes.scope === undefined && changes.grant_types === undefined) return;
    const next = { ...permissionsOf(current), ...definedPermissions(changes) };
    assertMayUpdate(caller, current, next);
    if (narrows(current, next)) await revokeClient(revocationsKv(env), current.client_id);
  });
  if (!updated) throw notFound();
  const { previous, record } = updated;
  audit(request, {
    actor: caller.client_id,
    action: "update",
    key_id: record.id,
    old_scope: permissionsOf(previous).scope,
    new_scope: record.scope!,
  });
  return json({ data: resource(record) }, 200, NO_STORE);
}

/** After a 204 the key cannot get tokens, and every token it had fails verification everywhere. */
export async function deleteKey(request: Request, env: Env): Promise<Response> {
  const caller = await requireKeyManager(request, env);
  const id = keyId(request);
  const deleted = await deleteAppKey(clientsKv(env), revocationsKv(env), id, (current) => assertMayDelete(caller, current));
  if (!deleted) throw notFound();
  const oldScope = deleted.record ? permissionsOf(deleted.record).scope : null;
  audit(request, { actor: caller.client_id, action: "delete", key_id: id, old_scope: oldScope, new_scope: null });
  return new Response(null, { status: 204, headers: NO_STORE });
}

/** Never the secret hash: the secret only when it was just created. */
function resource(r: ClientRecord, clientSecret?: string) {
  const { scope, grant_types, legacy } = permissionsOf(r);
  return {
    id: r.id,
    type: "application_key",
    name: r.name,
    client_id: r.client_id,
    scope,
    grant_types,
    ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
    meta: {
      timestamps: { created_at: r.created_at, updated_at: r.updated_at },
      ...(r.created_by === undefined ? {} : { created_by: r.created_by }),
      // Stored before keys carried scopes: these are the powers every key had then.
      ...(legacy ? { legacy_permissions: true } : {}),
    },
  };
}

function definedPermissions(c: { scope?: string; grant_types?: string[] }) {
  return { ...(c.scope === undefined ? {} : { scope: c.scope }), ...(c.grant_types === undefined ? {} : { grant_types: c.grant_types }) };
}

function audit(request: Request, entry: AuditEntry): void {
  context(request).audit = entry;
}

function pageParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const values = query.getAll(name);
  if (values.length === 0) return fallback;
  const n = values.length === 1 && /^\d{1,16}$/.test(values[0]!) ? Number(values[0]) : NaN;
  if (!(n >= min && n <= max)) {
    throw badRequest(`The parameter "${name}" must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`}.`);
  }
  return n;
}

/** The route's `:id`; the router matched it, so it is there. */
const keyId = (request: Request) => context(request).params!.id!;

const notFound = () => new HttpError(404, "not_found", "There is no application key with this id.");
