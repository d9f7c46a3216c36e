/**
 * floor_issue_dpop: the least work a private_key_jwt + DPoP issuance needs, as a plain Worker.
 * Form parse; the client assertion verified with the client's public key (imported once) and
 * its claims checked; the DPoP proof's key imported from its header, the proof verified and its
 * claims checked, the key's thumbprint taken; the same claims, cnf, key_version and status included, signed as edge-token
 * signs them (src/tokens/sign.ts, as floors/issue.ts does). No KV, no single-use bookkeeping of either jti, no log line, no router.
 */
import { base64url, calculateJwkThumbprint, EmbeddedJWK, importJWK, type JWK, jwtVerify } from "jose";

interface Env {
  SIGNING_KEYS: string;
  ISSUER: string;
  CLIENT_ID: string;
  /** The client's registered public key, a JWK. */
  CLIENT_KEY: string;
  SCOPE: string;
}

const encoder = new TextEncoder();
/** Where edge-token puts a token without cf.continent (North America's first list): the floor's tokens name a list as long. */
const STATUS_LIST_PATH = "/oauth/status-lists/400000001";
let nextIndex = 0;
let signer: Promise<{ key: CryptoKey; header: string }> | undefined;
let clientKey: Promise<CryptoKey> | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    signer ??= (async () => {
      const jwk = (JSON.parse(env.SIGNING_KEYS) as { keys: (JWK & { kid: string })[] }).keys[0]!;
      const header = base64url.encode(JSON.stringify({ alg: "EdDSA", kid: jwk.kid, typ: "at+jwt" }));
      return { key: (await importJWK(jwk, "EdDSA")) as CryptoKey, header };
    })();
    clientKey ??= importJWK(JSON.parse(env.CLIENT_KEY) as JWK, "EdDSA") as Promise<CryptoKey>;
    const form = new URLSearchParams(await request.text());
    const url = new URL(request.url);
    try {
      const { payload: assertion } = await jwtVerify(form.get("client_assertion") ?? "", await clientKey, {
        algorithms: ["EdDSA"],
        issuer: env.CLIENT_ID,
        subject: env.CLIENT_ID,
        audience: env.ISSUER,
        requiredClaims: ["exp", "jti"],
      });
      const { payload: proof, protectedHeader } = await jwtVerify(request.headers.get("DPoP") ?? "", EmbeddedJWK, {
        algorithms: ["EdDSA"],
        typ: "dpop+jwt",
        requiredClaims: ["iat", "jti"],
      });
      if (proof.htm !== "POST" || proof.htu !== `${url.origin}${url.pathname}` || !assertion.jti) throw new Error("not this request");
      const jkt = await calculateJwkThumbprint(protectedHeader.jwk!);
      const { key, header } = await signer;
      const iat = Math.floor(Date.now() / 1000);
      const claims = {
        iss: env.ISSUER,
        sub: env.CLIENT_ID,
        aud: env.ISSUER,
        exp: iat + 3600,
        iat,
        jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
        client_id: env.CLIENT_ID,
        scope: env.SCOPE,
        grant_type: "client_credentials",
        cnf: { jkt },
        key_version: 1,
        status: { status_list: { idx: nextIndex++, uri: `${env.ISSUER}${STATUS_LIST_PATH}` } },
      };
      const input = `${header}.${base64url.encode(JSON.stringify(claims))}`;
      const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key, encoder.encode(input)));
      const token = `${input}.${base64url.encode(signature)}`;
      const data = {
        access_token: token,
        token_type: "DPoP",
        expires_in: 3600,
        expires: claims.exp,
        identifier: "client_credentials",
        scope: env.SCOPE,
      };
      return new Response(JSON.stringify({ data, ...data }), {
        headers: { "Content-Type": "application/json", "Cache-Control": "no-store", Pragma: "no-cache" },
      });
    } catch {
      return new Response(null, { status: 401 });
    }
  },
};
