import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";

export type SigningAlg = "EdDSA" | "ES256";

/** A new private signing JWK with its RFC 7638 thumbprint as kid. */
export async function generateSigningKey(alg: SigningAlg = "EdDSA"): Promise<Record<string, string>> {
  const { privateKey } = await generateKeyPair(alg === "EdDSA" ? "Ed25519" : "ES256", { extractable: true });
  const jwk = (await exportJWK(privateKey)) as Record<string, string>;
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, ...(jwk.y ? { y: jwk.y } : {}) });
  return { ...jwk, kid, alg, use: "sig" };
}
