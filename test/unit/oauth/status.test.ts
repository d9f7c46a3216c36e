import { describe, expect, it } from "vitest";
import { ALL_TOKENS, ALL_VERSIONS, higherCutoff, isCutoffs, listOfUri, revokedByCutoff, statusListUri } from "../../../src/oauth/status.ts";

describe("cut-offs", () => {
  it("revoke tokens of lower key versions; tokens without one by iat", () => {
    const cutoff = { v: 3, t: 1000 };
    expect([2, 3, 4].map((key_version) => revokedByCutoff({ iat: 5000, key_version }, cutoff))).toStrictEqual([true, false, false]);
    expect([999, 1000, 1001].map((iat) => revokedByCutoff({ iat }, cutoff))).toStrictEqual([true, true, false]);
    expect(revokedByCutoff({ iat: 1, key_version: 1 }, undefined)).toBe(false);
    const deleted = { v: ALL_VERSIONS, t: ALL_TOKENS };
    expect([revokedByCutoff({ iat: 2 ** 40, key_version: 2 ** 50 }, deleted), revokedByCutoff({ iat: 2 ** 33 }, deleted)]).toStrictEqual([
      true,
      true,
    ]);
  });

  it("only ever go up, part by part", () => {
    expect(higherCutoff({ v: 5, t: 10 }, { v: 2, t: 20 })).toStrictEqual({ v: 5, t: 20 });
    expect([higherCutoff(undefined, { v: 1, t: 1 }), higherCutoff({ v: 1, t: 1 }, undefined)]).toStrictEqual([
      { v: 1, t: 1 },
      { v: 1, t: 1 },
    ]);
  });

  it("are a document of integers only", () => {
    expect(isCutoffs({ clients: { a: { v: 1, t: 2 } }, tokens: { j: 3 } })).toBe(true);
    for (const bad of [null, {}, { clients: {} }, { clients: { a: { v: "1", t: 2 } }, tokens: {} }, { clients: {}, tokens: { j: 1.5 } }]) {
      expect(isCutoffs(bad)).toBe(false);
    }
  });
});

describe("list URIs", () => {
  it("name one of this issuer's lists by a plain positive number, nothing else", () => {
    const issuer = "https://auth.example";
    expect(statusListUri(issuer, "300000007")).toBe("https://auth.example/oauth/status-lists/300000007");
    expect(listOfUri(issuer, "https://auth.example/oauth/status-lists/300000007")).toBe("300000007");
    expect(listOfUri(issuer, "https://auth.example/oauth/status-lists/7")).toBe("7");
    for (const uri of [
      "https://auth.example/oauth/status-lists/07",
      "https://auth.example/oauth/status-lists/0",
      "https://auth.example/oauth/status-lists/7/",
      "https://auth.example/oauth/status-lists/7?x",
      "https://evil.example/oauth/status-lists/7",
      "https://auth.example.evil/oauth/status-lists/7",
      "https://auth.example/oauth/status-lists/1234567890",
      "https://auth.example/oauth/status-lists/eu-7",
      "https://auth.example/oauth/status-lists/-7",
    ]) {
      expect([uri, listOfUri(issuer, uri)]).toStrictEqual([uri, undefined]);
    }
  });
});
