import { algorithmOf, type Signer } from "../../src/tokens/algorithms.ts";
import { importPrivateKey, parseSigningKeysSecret } from "../../src/tokens/signing-key-material.ts";

/**
 * The signer a SIGNING_KEYS value names (its first key), for tokens made outside the service as
 * the service makes them: the Workers under test import that value into their registry, so it
 * is the key they sign with until a rotation.
 */
export async function signerOf(signingKeys: string): Promise<Signer> {
  const [jwk] = parseSigningKeysSecret(signingKeys);
  const alg = algorithmOf(jwk!)!;
  return { kid: jwk!.kid, alg, key: (await importPrivateKey(jwk!, alg))! };
}
