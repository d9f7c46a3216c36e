/**
 * floor_issue: the least work an honest client_credentials issuance needs, as a plain Worker.
 * Form parse, SHA-256 of the secret and a constant-time compare against a digest held in
 * memory, the same claims and response members as edge-token (key_version, and a status claim
 * naming a list and an index, though nothing is leased), signed as edge-token signs them
 * (src/tokens/sign.ts): the header encoded once, the claims by JSON.stringify, one
 * crypto.subtle.sign with the same Ed25519 key; the bytes jose's SignJWT makes, without its
 * claims clone, header checks and async steps. No KV, no log line, no rate limit, no router:
 * what is left over edge-token is what edge-token's own code adds.
 */
import { base64url, importJWK, type JWK } from "jose";

interface Env {
  SIGNING_KEYS: string;
  ISSUER: string;
  CLIENT_ID: string;
  /** base64url SHA-256 of the client's secret, as edge-token stores it. */
  CLIENT_SECRET_HASH: string;
  SCOPE: string;
}

const encoder = new TextEncoder();
/** Where edge-token puts a token without cf.continent (North America's first list): the floor's tokens name a list as long. */
const STATUS_LIST_PATH = "/oauth/status-lists/400000001";
let nextIndex = 0;
let signer: Promise<{ key: CryptoKey; header: string }> | undefined;
let digest: Uint8Array | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    signer ??= (async () => {
      const jwk = (JSON.parse(env.SIGNING_KEYS) as { keys: (JWK & { kid: string })[] }).keys[0]!;
      const header = base64url.encode(JSON.stringify({ alg: "EdDSA", kid: jwk.kid, typ: "at+jwt" }));
      return { key: (await importJWK(jwk, "EdDSA")) as CryptoKey, header };
    })();
    digest ??= base64url.decode(env.CLIENT_SECRET_HASH);
    const form = new URLSearchParams(await request.text());
    const grant = form.get("grant_type");
    const clientId = form.get("client_id");
    const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(form.get("client_secret") ?? "")));
    if (grant !== "client_credentials" || clientId !== env.CLIENT_ID || !crypto.subtle.timingSafeEqual(hash, digest)) {
      return new Response(null, { status: 401 });
    }
    const { key, header } = await signer;
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: env.ISSUER,
      sub: clientId,
      aud: env.ISSUER,
      exp: iat + 3600,
      iat,
      jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
      client_id: clientId,
      scope: env.SCOPE,
      grant_type: grant,
      key_version: 1,
      status: { status_list: { idx: nextIndex++, uri: `${env.ISSUER}${STATUS_LIST_PATH}` } },
    };
    const input = `${header}.${base64url.encode(JSON.stringify(claims))}`;
    const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key, encoder.encode(input)));
    const token = `${input}.${base64url.encode(signature)}`;
    const data = {
      access_token: token,
      token_type: "Bearer",
      expires_in: 3600,
      expires: claims.exp,
      identifier: grant,
      scope: claims.scope,
    };
    return new Response(JSON.stringify({ data, ...data }), {
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store", Pragma: "no-cache" },
    });
  },
};
