import { compactVerify, decodeJwt, decodeProtectedHeader } from "jose";
import { CLOCK_SKEW_SECONDS, MAX_ASSERTION_LIFETIME_SECONDS } from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import type { ApplicationKey } from "../store/application-keys.ts";
import { type ClientJwk, clientJwk, importClientKey, jwsAlgorithmsFor } from "../tokens/client-keys.ts";

/** RFC 7523 §2.2: the only client_assertion_type. */
export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** The longest assertion accepted. */
const MAX_ASSERTION_LENGTH = 8192;

/**
 * The client an assertion claims to be, read before it is verified (only to find the keys to
 * verify it with); undefined when it is not a JWT naming one.
 */
export function assertedClientId(assertion: string): string | undefined {
  if (assertion.length > MAX_ASSERTION_LENGTH) return undefined;
  try {
    const { sub } = decodeJwt(assertion);
    return typeof sub === "string" ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A client's registered keys, imported once per stored copy of its record: a cached record
 * keeps its key objects, so a client's every assertion after the first skips the import. Held
 * resolved, never as a promise another request would await.
 */
const imported = new WeakMap<object, CryptoKey>();

async function registeredKey(stored: object, jwk: ClientJwk): Promise<CryptoKey> {
  const known = imported.get(stored);
  if (known) return known;
  const key = await importClientKey(jwk);
  imported.set(stored, key);
  return key;
}

/** A verified assertion: its jti, and until when it must not be used again. */
export interface CheckedAssertion {
  jti: string;
  exp: number;
}

/**
 * RFC 7523 §3, for a key that authenticates with private_key_jwt: signed by one of its
 * registered keys with the algorithm that key names (never none, never HMAC); iss and sub the
 * client; aud this issuer or its token endpoint (either, as a string or in an array); exp
 * present and at most MAX_ASSERTION_LIFETIME_SECONDS ahead; iat and nbf not in the future
 * beyond the clock skew; a jti. Whether the jti was used before is the ledger's to say.
 * Undefined for any failure: the caller answers them all alike.
 */
export async function checkClientAssertion(
  assertion: string,
  client: ApplicationKey,
  audiences: readonly string[],
  now = nowSeconds(),
): Promise<CheckedAssertion | undefined> {
  if (assertion.length > MAX_ASSERTION_LENGTH) return undefined;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    return undefined;
  }
  let payload: Record<string, unknown> | undefined;
  for (const stored of client.jwks?.keys ?? []) {
    const key = clientJwk(stored);
    if (typeof key === "string" || !jwsAlgorithmsFor(key.alg).includes(header.alg as string)) continue;
    if (header.kid !== undefined && key.kid !== header.kid) continue;
    try {
      const verified = await compactVerify(assertion, await registeredKey(stored, key), { algorithms: jwsAlgorithmsFor(key.alg) });
      payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
      break;
    } catch {
      // the next key, if any
    }
  }
  if (typeof payload !== "object" || payload === null) return undefined;
  const { iss, sub, aud, exp, iat, nbf, jti } = payload;
  if (iss !== client.client_id || sub !== client.client_id) return undefined;
  const auds = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!auds.some((a) => audiences.includes(a as string))) return undefined;
  if (typeof exp !== "number" || exp <= now - CLOCK_SKEW_SECONDS || exp > now + MAX_ASSERTION_LIFETIME_SECONDS) return undefined;
  for (const t of [iat, nbf]) {
    if (t !== undefined && (typeof t !== "number" || t > now + CLOCK_SKEW_SECONDS)) return undefined;
  }
  if (typeof jti !== "string" || jti === "" || jti.length > 256) return undefined;
  return { jti, exp };
}
