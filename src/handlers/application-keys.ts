import { adminCallerOf, adminReaderOf } from "../auth/admin-caller.ts";
import { type Env, issuerFor, settings } from "../config/settings.ts";
import { context, routeParam } from "../http/context.ts";
import { readJson } from "../http/json.ts";
import { pageOf } from "../http/page.ts";
import { json, NO_STORE } from "../http/response.ts";
import { HttpError } from "../lib/errors.ts";
import { type ApplicationKey, authMethodOf, permissionsOf, previousSecretLives } from "../store/application-keys.ts";
import { forgetApplicationKey } from "../store/key-records.ts";
import { registry } from "../store/registry.ts";
import type { Answer, Change } from "../store/registry-protocol.ts";
import { rememberCutoff } from "../tokens/status-check.ts";
import { keyAttributes } from "./application-key-body.ts";
import { forgetSigned } from "./status-lists.ts";

/**
 * /v2/application-keys, in Elastic Path's JSON:API shape, over the registry (the one writer):
 * reads are the registry's current state, and every change is checked and made there against
 * the current record. Every call needs a key-management token (or, for a new deployment's
 * first key only, the bootstrap secret); the secret appears only in the 201. Each change puts
 * an audit line on the request's log line; the full trail is /v2/application-keys/audit.
 */

export async function createApplicationKey(request: Request, env: Env): Promise<Response> {
  const caller = await adminCallerOf(request, env, { bootstrap: true });
  const s = settings(env);
  const a = await keyAttributes(await readJson(request), s, "create");
  const created = outcome(
    request,
    env,
    await registry(env).create(caller, {
      name: a.name!,
      scope: a.scope ?? s.defaultScope,
      grant_types: a.grant_types ?? s.defaultGrantTypes,
      ...(a.token_quota ? { token_quota: a.token_quota } : {}),
      ...(a.implicit_quota ? { implicit_quota: a.implicit_quota } : {}),
      ...(a.token_endpoint_auth_method ? { token_endpoint_auth_method: a.token_endpoint_auth_method } : {}),
      ...(a.jwks ? { jwks: a.jwks } : {}),
      ...(a.dpop_bound_access_tokens ? { dpop_bound_access_tokens: true } : {}),
    }),
  );
  return json({ data: resource(created.record, created.client_secret) }, 201, NO_STORE);
}

export async function listApplicationKeys(request: Request, env: Env): Promise<Response> {
  await adminReaderOf(request, env);
  const { limit, offset } = pageOf(new URL(request.url).searchParams);
  const { records, total } = await registry(env).list(limit, offset);
  return json({ data: records.map((r) => resource(r)), meta: pageMeta(limit, offset, total) }, 200, NO_STORE);
}

export async function getApplicationKey(request: Request, env: Env): Promise<Response> {
  await adminReaderOf(request, env);
  const record = answered(await registry(env).get(keyId(request)));
  return json({ data: resource(record) }, 200, NO_STORE);
}

/**
 * Changes name, scope, grant types, quota, or how the key proves itself. A narrowing revokes the
 * key's tokens minted from its earlier records; the narrower record serves at once (docs/security.md).
 */
export async function updateApplicationKey(request: Request, env: Env): Promise<Response> {
  const caller = await adminCallerOf(request, env);
  const changes = await keyAttributes(await readJson(request), settings(env), "update");
  const updated = outcome(request, env, await registry(env).update(caller, keyId(request), changes));
  // A key switched to client_secret_basic is issued a secret: shown in this response only.
  return json({ data: resource(updated.record, updated.client_secret) }, 200, NO_STORE);
}

/** After a 204 the key cannot get tokens, and every token it had fails verification everywhere. */
export async function deleteApplicationKey(request: Request, env: Env): Promise<Response> {
  const caller = await adminCallerOf(request, env);
  outcome(request, env, await registry(env).remove(caller, keyId(request)));
  return new Response(null, { status: 204, headers: NO_STORE });
}

/** A change the registry made: this isolate learns it at once, and the log line carries it. */
export function outcome<T extends Change>(request: Request, env: Env, answer: Answer<T>): T {
  const change = answered(answer);
  forgetApplicationKey(change.record.client_id, change.floor);
  if (change.revocation !== undefined) {
    rememberCutoff(change.record.client_id, change.revocation);
    forgetSigned(issuerFor(request, settings(env)), "cutoffs");
  }
  const c = context(request);
  c.audit = change.audit;
  if (!change.propagated) {
    // Made and kept in the registry, which retries the write to KV: the edge learns it late.
    c.level = "warn";
    c.outcome = "write_through_pending";
  }
  return change;
}

export function answered<T>(answer: Answer<T>): T {
  if (answer.ok) return answer.value;
  const { status, code, detail, headers, reason } = answer.refusal;
  // A reason is the operator's: it rides as the cause, which the log line shows and no response does.
  throw new HttpError(status, code, detail, { headers, cause: reason === undefined ? undefined : new Error(reason) });
}

export function pageMeta(limit: number, offset: number, total: number) {
  return {
    page: { limit, offset, current: Math.floor(offset / limit) + 1, total: Math.max(1, Math.ceil(total / limit)) },
    results: { total },
  };
}

/** Never a secret's digest: the secret only when it was just made; while a rotated-out secret still authenticates, until when. */
export function resource(r: ApplicationKey, clientSecret?: string) {
  const { scope, grant_types, legacy } = permissionsOf(r);
  return {
    id: r.id,
    type: "application_key",
    name: r.name,
    client_id: r.client_id,
    scope,
    grant_types,
    ...(r.token_quota ? { token_quota: r.token_quota } : {}),
    ...(r.implicit_quota ? { implicit_quota: r.implicit_quota } : {}),
    token_endpoint_auth_method: authMethodOf(r),
    ...(r.jwks ? { jwks: r.jwks } : {}),
    dpop_bound_access_tokens: r.dpop_bound_access_tokens === true,
    ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
    ...(previousSecretLives(r) ? { previous_secret_expires_at: r.previous_secret_expires_at } : {}),
    meta: {
      timestamps: { created_at: r.created_at, updated_at: r.updated_at },
      ...(r.created_by === undefined ? {} : { created_by: r.created_by }),
      // Stored before keys carried scopes: these are the powers every key had then.
      ...(legacy ? { legacy_permissions: true } : {}),
    },
  };
}

/** The route's `:id`; the router matched it, so it is there. */
export const keyId = (request: Request) => routeParam(request, "id");
