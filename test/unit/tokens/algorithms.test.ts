import { describe, expect, it } from "vitest";
import { algorithmOf, isAlgorithm } from "../../../src/tokens/algorithms.ts";

describe("algorithms", () => {
  it("allows EdDSA and ES256 only", () => {
    expect(["EdDSA", "ES256", "none", "HS256", "RS256", "es256", undefined].map(isAlgorithm)).toStrictEqual([
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it("takes a key's algorithm from its alg, or else from its curve, and never across them", () => {
    const ed = { kty: "OKP", crv: "Ed25519" };
    const p256 = { kty: "EC", crv: "P-256" };
    expect([
      algorithmOf(ed),
      algorithmOf(p256),
      algorithmOf({ ...ed, alg: "EdDSA" }),
      algorithmOf({ ...p256, alg: "ES256" }),
    ]).toStrictEqual(["EdDSA", "ES256", "EdDSA", "ES256"]);
    expect([
      algorithmOf({ ...ed, alg: "ES256" }),
      algorithmOf({ ...p256, alg: "HS256" }),
      algorithmOf({ kty: "RSA" }),
      algorithmOf({ kty: "EC", crv: "P-384" }),
    ]).toStrictEqual([undefined, undefined, undefined, undefined]);
  });
});
