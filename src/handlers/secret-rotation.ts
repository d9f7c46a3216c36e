import { adminCallerOf } from "../auth/admin-caller.ts";
import type { Env } from "../config/settings.ts";
import { readJson } from "../http/json.ts";
import { json, NO_STORE } from "../http/response.ts";
import { badRequest } from "../lib/errors.ts";
import { DEFAULT_KEEP_OLD_SECRET_SECONDS, MAX_KEEP_OLD_SECRET_SECONDS } from "../lib/limits.ts";
import { registry } from "../store/registry.ts";
import { keyId, outcome, resource } from "./application-keys.ts";

/**
 * POST /v2/application-keys/:id/secret, `{"data":{"type":"secret_rotation","attributes":
 * {"keep_old_seconds":86400}}}`: a new secret for the key, shown in this response only; the one
 * it replaces authenticates beside it until `previous_secret_expires_at` (a rotation-before's,
 * still in its overlap, ends at once). `keep_old_seconds: 0` is for a leaked secret: the old one
 * ends at once and every token the key holds is revoked, the key itself kept. Governed by the
 * rules of an update that takes something away (the caller holds all the key's scope), audited
 * as rotate_secret; a private_key_jwt key, which has no secret, is a 409.
 */
export async function rotateApplicationKeySecret(request: Request, env: Env): Promise<Response> {
  const caller = await adminCallerOf(request, env);
  const keepOldSeconds = keepOldSecondsOf(await readJson(request));
  const rotated = outcome(request, env, await registry(env).rotateSecret(caller, keyId(request), keepOldSeconds));
  return json({ data: resource(rotated.record, rotated.client_secret) }, 200, NO_STORE);
}

const SHAPE = `The body must be {"data":{"type":"secret_rotation","attributes":{"keep_old_seconds":${DEFAULT_KEEP_OLD_SECRET_SECONDS}}}}.`;

/** The seconds the old secret lives on: `attributes` and `keep_old_seconds` may be left out (a day). Every 400 names the field, none echoes it. */
function keepOldSecondsOf(body: unknown): number {
  const data = isObject(body) ? body.data : undefined;
  if (!isObject(body) || Object.keys(body).length !== 1 || !isObject(data)) throw badRequest(SHAPE);
  if (data.type !== "secret_rotation") throw badRequest('The field "data.type" must be "secret_rotation".');
  if (Object.keys(data).some((k) => k !== "type" && k !== "attributes"))
    throw badRequest('The field "data" holds only "type" and "attributes".');
  if (data.attributes === undefined) return DEFAULT_KEEP_OLD_SECRET_SECONDS;
  const attributes = data.attributes;
  if (!isObject(attributes) || Object.keys(attributes).some((k) => k !== "keep_old_seconds")) {
    throw badRequest('The field "data.attributes" must be an object holding only "keep_old_seconds".');
  }
  const n = attributes.keep_old_seconds;
  if (n === undefined) return DEFAULT_KEEP_OLD_SECRET_SECONDS;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > MAX_KEEP_OLD_SECRET_SECONDS) {
    throw badRequest(
      `The field "data.attributes.keep_old_seconds" must be a whole number of seconds from 0 to ${MAX_KEEP_OLD_SECRET_SECONDS} (7 days).`,
    );
  }
  return n === 0 ? 0 : n; // -0 too
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
