import type { Env } from "../env.ts";
import { keySet } from "../tokens/keys.ts";

/** GET /.well-known/jwks.json: public halves of every configured key. */
export async function jwks(_request: Request, env: Env): Promise<Response> {
  const keys = await keySet(env.SIGNING_KEYS);
  return new Response(keys.jwksJson, {
    headers: { "Content-Type": "application/json", "Cache-Control": `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
  });
}

/** How long verifiers may cache the key set; rotation waits at least this long (README). */
export const JWKS_MAX_AGE_SECONDS = 300;
