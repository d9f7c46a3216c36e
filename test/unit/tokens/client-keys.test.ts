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
      "a key must be Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 bits or more with alg PS256",
    );
    expect(clientJwk({ ...ed25519, alg: "HS256" })).toBe(
      "a key must be Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 bits or more with alg PS256",
    );
  });

  it("as a set: one to five keys, each with a distinct kid", () => {
    expect(clientJwks({ keys: [{ ...ed25519, kid: "a" }] })).toStrictEqual({ keys: [{ ...ed25519, kid: "a", alg: "EdDSA" }] });
    expect(clientJwks({ keys: [] })).toBe('it must be {"keys":[…]} with 1 to 5 public keys');
    expect(clientJwks([ed25519])).toBe('it must be {"keys":[…]} with 1 to 5 public keys');
    expect(clientJwks({ keys: [ed25519] })).toBe('each key needs a "kid" of 1 to 128 characters');
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
