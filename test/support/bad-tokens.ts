import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { FailureCode } from "../../src/tokens/verify-access-token.ts";
import { b64url, issueAt, nowSeconds, signWith, tamper, tokenFor, unsigned } from "./helpers.ts";

/** Every way a token can be wrong, with the stable code the pipeline must give it. */
export async function badTokens(client: { client_id: string; client_secret: string }): Promise<[string, string, FailureCode][]> {
  const genuine = await tokenFor(client);
  const [h] = genuine.split(".");
  const { kid } = JSON.parse(atob(h!.replaceAll("-", "+").replaceAll("_", "/"))) as { kid: string };
  const now = nowSeconds();
  const foreign = await generateKeyPair("Ed25519");
  const p256 = await generateKeyPair("ES256");
  const as = { client_id: client.client_id, sub: client.client_id };
  // The classic key-confusion forgery: HS256 with the public key's bytes as the HMAC secret.
  const publicX = (await exportJWK((await generateKeyPair("Ed25519")).publicKey)).x!;
  const hs256 = await new SignJWT({ ...as, iss: "https://auth.example" })
    .setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt" })
    .sign(new TextEncoder().encode(publicX));

  return [
    ["garbage", "not-a-token", "malformed"],
    ["three garbage parts", "a.b.c", "malformed"],
    ["header that is not JSON", `${b64url("{")}.${genuine.split(".")[1]}.AAAA`, "malformed"],
    ["alg none", unsigned(genuine, { alg: "none", typ: "at+jwt", kid }), "alg_not_allowed"],
    ["HS256 with the public key as secret", hs256, "alg_not_allowed"],
    ["ES256 signature under an EdDSA kid", await signWith(as, { alg: "ES256" }, p256.privateKey), "alg_not_allowed"],
    ["unknown kid", await signWith(as, { kid: "made-up" }, foreign.privateKey), "unknown_kid"],
    ["foreign key with our kid", await signWith(as, {}, foreign.privateKey), "bad_signature"],
    ["edited claims", tamper(genuine, { scope: "read write admin" }), "bad_signature"],
    ["edited signature", genuine.slice(0, -4) + (genuine.endsWith("AAAA") ? "BBBB" : "AAAA"), "bad_signature"],
    ["typ JWT", await signWith(as, { typ: "JWT" }), "wrong_typ"],
    ["no typ", await signWith(as, { typ: undefined }), "wrong_typ"],
    ["missing jti", await signWith({ ...as, jti: undefined }), "invalid_claims"],
    ["unknown grant", await signWith({ ...as, grant_type: "password" }), "invalid_claims"],
    ["wrong issuer", await signWith({ ...as, iss: "https://evil.example" }), "wrong_issuer"],
    ["wrong audience", await signWith({ ...as, aud: "https://other-api.example" }), "wrong_audience"],
    ["expired", (await issueAt(client, now - 7200)).token, "expired"],
    ["not yet valid (nbf)", await signWith({ ...as, nbf: now + 600 }), "not_yet_valid"],
    ["issued in the future", await signWith({ ...as, iat: now + 600, exp: now + 4200 }), "not_yet_valid"],
  ];
}
