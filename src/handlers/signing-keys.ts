import { adminCallerOf, adminReaderOf } from "../auth/admin-caller.ts";
import { type Env, issuerFor, settings } from "../config/settings.ts";
import { context } from "../http/context.ts";
import { readJson } from "../http/json.ts";
import { pageOf } from "../http/page.ts";
import { json, NO_STORE } from "../http/response.ts";
import { badRequest } from "../lib/errors.ts";
import {
  KV_DOCUMENT_LIFETIME_SECONDS,
  MAX_CLIENT_CACHE_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
  NEXT_SIGNING_KEY_LEAD_SECONDS,
  retiringKeySeconds,
} from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import { SIGNING_KEYS_SCOPE } from "../oauth/scope.ts";
import { registry } from "../store/registry.ts";
import type { RotationRequest, RotationResult, SigningKeyView } from "../store/registry-protocol.ts";
import { forgetSigningKeys } from "../tokens/signing-keys.ts";
import { rememberRevokedKid } from "../tokens/status-check.ts";
import { answered, pageMeta } from "./application-keys.ts";
import { forgetSigned } from "./status-lists.ts";

/**
 * /v2/signing-keys: the service's signing keys as the registry holds them (docs/rotation.md),
 * for key managers holding signing_keys, in the JSON:API shape of the key listing. Never a
 * private half: the registry keeps those sealed, and no response carries one.
 */

/** GET /v2/signing-keys: every key the deployment has had, newest first, with its state and times. */
export async function listSigningKeys(request: Request, env: Env): Promise<Response> {
  await adminReaderOf(request, env, { scope: SIGNING_KEYS_SCOPE });
  const { limit, offset } = pageOf(new URL(request.url).searchParams);
  const { keys, kek_matches } = await registry(env).signingKeyState();
  return json(
    {
      data: keys.slice(offset, offset + limit).map(resource),
      meta: {
        ...pageMeta(limit, offset, keys.length),
        rotation: {
          period_days: settings(env).signingKeyRotationDays,
          next_key_lead_seconds: NEXT_SIGNING_KEY_LEAD_SECONDS,
          ...(kek_matches === undefined ? {} : { kek_matches }),
        },
      },
    },
    200,
    NO_STORE,
  );
}

/**
 * POST /v2/signing-keys/rotate, `{"data":{"type":"signing_key_rotation","emergency":false}}`:
 * a next key now, which signs once it has been in the JWKS for the lead time (a scheduled
 * rotation, asked for early). `"emergency":true`: a new key signs at once, and every other key
 * leaves the JWKS with every token it signed revoked: for a private key that has leaked.
 * `"alg":"ES256"` (or `"EdDSA"`): the new key's algorithm, which the schedule keeps.
 */
export async function rotateSigningKeys(request: Request, env: Env): Promise<Response> {
  const caller = await adminCallerOf(request, env, { scope: SIGNING_KEYS_SCOPE });
  const { emergency, alg } = rotationOf(await readJson(request));
  const result = answered(await registry(env).rotateSigningKeys(caller, { emergency, alg }));
  learned(request, env, result);
  context(request).rotation = { actor: caller.kind === "key" ? caller.claims.client_id : "cli", emergency, changes: result.changes };
  return json(
    { data: { type: "signing_key_rotation", emergency, changes: result.changes, keys: result.keys.map(resource) } },
    200,
    NO_STORE,
  );
}

/** GET /v2/signing-keys/audit: every rotation step, oldest first: who moved which key from what state to what. */
export async function listSigningKeyEvents(request: Request, env: Env): Promise<Response> {
  await adminReaderOf(request, env, { scope: SIGNING_KEYS_SCOPE });
  const { limit, offset } = pageOf(new URL(request.url).searchParams);
  const { entries, total } = await registry(env).signingKeyEvents(limit, offset);
  const data = entries.map(({ seq, ...e }) => ({ id: String(seq), type: "signing_key_event", ...e }));
  return json({ data, meta: pageMeta(limit, offset, total) }, 200, NO_STORE);
}

function rotationOf(body: unknown): RotationRequest {
  const data = (body as { data?: unknown } | null)?.data as Record<string, unknown> | undefined;
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw badRequest('The body must be {"data":{"type":"signing_key_rotation",…}}.');
  if (data.type !== "signing_key_rotation") throw badRequest('The data type must be "signing_key_rotation".');
  const unknown = Object.keys(data).find((k) => k !== "type" && k !== "emergency" && k !== "alg");
  if (unknown !== undefined) throw badRequest(`The attribute "${unknown.slice(0, 40)}" is not one a rotation takes.`);
  if (data.emergency !== undefined && typeof data.emergency !== "boolean")
    throw badRequest('The attribute "emergency" must be true or false.');
  if (data.alg !== undefined && data.alg !== "EdDSA" && data.alg !== "ES256")
    throw badRequest('The attribute "alg" must be "EdDSA" or "ES256".');
  return { emergency: data.emergency === true, alg: data.alg };
}

/** What this isolate learns at once from a rotation it asked for: its keys are read again, a revoked kid refused. */
function learned(request: Request, env: Env, result: RotationResult): void {
  forgetSigningKeys(env);
  const revoked = result.changes.filter((c) => c.action === "revoke");
  if (revoked.length === 0) return;
  // At least as long as the registry keeps it in the cut-offs.
  const until = nowSeconds() + retiringKeySeconds(MAX_TOKEN_TTL_SECONDS, MAX_CLIENT_CACHE_SECONDS) + KV_DOCUMENT_LIFETIME_SECONDS;
  for (const c of revoked) rememberRevokedKid(c.kid, until);
  forgetSigned(issuerFor(request, settings(env)), "cutoffs");
}

function resource(k: SigningKeyView) {
  const { kid, ...rest } = k;
  return { id: kid, type: "signing_key", kid, ...rest };
}
