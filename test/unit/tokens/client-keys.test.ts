import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { clientJwk, clientJwks } from "../../../src/tokens/client-keys.ts";

const ed25519 = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };

describe("a client's registered keys", () => {
  it("take Ed25519, P-256 and RSA-PS256 public keys, with their algorithm made explicit", () => {
    expect(clientJwk(ed25519)).toStrictEqual({ ...ed25519, alg: "EdDSA" });
    expect(clientJwk({ ...ed25519, alg: "Ed25519" })).toStrictEqual({ ...ed25519, alg: "EdDSA" });
  });

  it("refuse private members, symmetric keys, other uses and unnamed RSA, saying why without echoing the key", () => {
    expect(clientJwk({ ...ed25519, d: "secret-material" })).toBe("private key members are not accepted");
    expect(clientJwk({ kty: "oct", k: "c2VjcmV0" })).toBe("symmetric keys are not accepted");
    expect(clientJwk({ ...ed25519, use: "enc" })).toBe('a key\'s "use" must be "sig"');
    expect(clientJwk({ kty: "RSA", n: "a".repeat(342), e: "AQAB" })).toBe(
      "a key must be Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 to 4096 bits with alg PS256",
    );
    expect(clientJwk({ ...ed25519, alg: "HS256" })).toBe(
      "a key must be Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 to 4096 bits with alg PS256",
    );
  });

  it("as a set: one to five keys, each with a distinct kid", () => {
    expect(clientJwks({ keys: [{ ...ed25519, kid: "a" }] })).toStrictEqual({ keys: [{ ...ed25519, kid: "a", alg: "EdDSA" }] });
    expect(clientJwks({ keys: [] })).toBe('it must be {"keys":[…]} with 1 to 5 public keys');
    expect(clientJwks([ed25519])).toBe('it must be {"keys":[…]} with 1 to 5 public keys');
    expect(clientJwks({ keys: [ed25519] })).toBe('each key needs a "kid" of 1 to 128 characters');
    expect(clientJwks({ keys: [{ kty: "oct", k: "c2VjcmV0", kid: "shared" }] })).toBe('key "shared": symmetric keys are not accepted');
    expect(
      clientJwks({
        keys: [
          { ...ed25519, kid: "a" },
          { kty: "oct", k: "c2VjcmV0", kid: 'a "quoted" kid' },
        ],
      }),
    ).toBe("key 2: symmetric keys are not accepted");
    expect(
      clientJwks({
        keys: [
          { ...ed25519, kid: "a" },
          { ...ed25519, kid: "a" },
        ],
      }),
    ).toBe("two keys have the same kid");
  });
});

/** An RSA modulus of exactly `bits` bits (its value does not matter here: nothing is verified). */
const modulus = (bits: number, leadingZero = false) => {
  const octets = new Uint8Array(Math.ceil(bits / 8) + (leadingZero ? 1 : 0)).fill(0xff);
  if (leadingZero) octets[0] = 0;
  octets[leadingZero ? 1 : 0] = 0xff >> (8 * Math.ceil(bits / 8) - bits);
  return base64url.encode(octets);
};
const rsa = (n: string, e = "AQAB") => ({ kty: "RSA", n, e, alg: "PS256" });

describe("RSA keys' bounds", () => {
  it("take moduli of exactly 2048 to 4096 bits with e = 65537", () => {
    for (const bits of [2048, 3072, 4096]) expect(clientJwk(rsa(modulus(bits)))).toStrictEqual({ ...rsa(modulus(bits)), alg: "PS256" });
  });
  it("refuse one bit fewer or more, leading zero octets, another exponent, and a modulus too long to decode, by the exact count", () => {
    expect(clientJwk(rsa(modulus(2047)))).toBe("an RSA key must have a modulus of 2048 to 4096 bits, not 2047");
    expect(clientJwk(rsa(modulus(4097)))).toBe("an RSA key must have a modulus of 2048 to 4096 bits, not 4097");
    expect(clientJwk(rsa(modulus(10_000)))).toBe("an RSA key must have a modulus of 2048 to 4096 bits, not 10000");
    expect(clientJwk(rsa(modulus(2048, true)))).toBe("an RSA key must have a modulus of 2048 to 4096 bits, without leading zero octets");
    expect(clientJwk(rsa("A".repeat(4 * 683 + 1)))).toBe("an RSA key must have a modulus of 2048 to 4096 bits, not more than 16384");
    expect(clientJwk(rsa(`${modulus(2048)}AAA`))).toBe("an RSA key's modulus is not base64url");
    for (const e of ["Aw", "AQAAAQ", "f____w", "AAEAAQ"])
      expect(clientJwk(rsa(modulus(2048), e))).toBe('an RSA key\'s exponent must be 65537 ("AQAB")');
  });
});
