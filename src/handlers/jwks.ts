import type { Env } from "../config/settings.ts";
import { PUBLIC_CACHE } from "../http/response.ts";
import { signingKeys } from "../tokens/signing-keys.ts";

/** GET /.well-known/jwks.json: the public half of every key the registry publishes (next, active, retiring; docs/rotation.md). */
export async function getJwks(_request: Request, env: Env): Promise<Response> {
  const keys = await signingKeys(env);
  return new Response(keys.jwksJson, {
    // Verifiers cache the key set this long: a rotation waits at least as long (docs/rotation.md).
    headers: { "Content-Type": "application/json", ...PUBLIC_CACHE },
  });
}
