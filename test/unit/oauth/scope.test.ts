import { describe, expect, it } from "vitest";
import { covers, formatScope, parseScope, scopeWithin } from "../../../src/oauth/scope.ts";

const VOCABULARY = ["read", "write", "application_keys"];

describe("scope values (RFC 6749 §3.3)", () => {
  it("parses space-delimited scope-tokens, and nothing else", () => {
    expect(parseScope("read write")).toStrictEqual(["read", "write"]);
    expect(parseScope("orders:read")).toStrictEqual(["orders:read"]);
    for (const bad of ["", " read", "read ", "read  write", 'read "x"', "read\\x", "read\twrite", "réad"]) {
      expect([bad, parseScope(bad)]).toStrictEqual([bad, undefined]);
    }
  });

  it("writes a set in the vocabulary's order, each once", () => {
    expect(formatScope(["write", "read", "write"], VOCABULARY)).toBe("read write");
    expect(scopeWithin("application_keys read", VOCABULARY)).toBe("read application_keys");
    expect([scopeWithin("read admin", VOCABULARY), scopeWithin(["read"], VOCABULARY)]).toStrictEqual([undefined, undefined]);
  });

  it("covers: every needed scope held", () => {
    expect([covers(["read", "write"], ["write"]), covers(["read"], ["read", "write"]), covers(["read"], [])]).toStrictEqual([
      true,
      false,
      true,
    ]);
  });
});
