import { describe, expect, it } from "vitest";
import { HttpError } from "../../../src/lib/errors.ts";
import { assertMayDelete, assertMayGive, assertMayUpdate, type KeyManager, narrows } from "../../../src/policy/key-management-rules.ts";
import type { ApplicationKey } from "../../../src/store/application-keys.ts";

const manager: KeyManager = { client_id: "a".repeat(40), scope: "read application_keys", grant_type: "client_credentials" };
const key = (scope: string, grant_types: string[], client_id = "b".repeat(40)): ApplicationKey => ({
  id: "0190a000-0000-7000-8000-000000000000",
  client_id,
  name: "k",
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
  scope,
  grant_types,
});

/** The error a rule throws, as [status, code], or "allowed". */
function outcome(rule: () => void): [number, string] | "allowed" {
  try {
    rule();
    return "allowed";
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    return [e.status, e.code];
  }
}

describe("the key-management rules", () => {
  it("give only what the caller's token holds and covers", () => {
    expect(outcome(() => assertMayGive(manager, { scope: "read", grant_types: ["implicit"] }))).toBe("allowed");
    expect(outcome(() => assertMayGive(manager, { scope: "read write", grant_types: ["client_credentials"] }))).toStrictEqual([
      403,
      "insufficient_scope",
    ]);
    const implicitCaller = { ...manager, grant_type: "implicit" };
    expect(outcome(() => assertMayGive(implicitCaller, { scope: "read", grant_types: ["client_credentials"] }))).toStrictEqual([
      403,
      "insufficient_scope",
    ]);
  });

  it("take away only what the caller holds: a weaker manager cannot narrow a stronger key", () => {
    const stronger = key("read write application_keys", ["client_credentials"]);
    expect(outcome(() => assertMayUpdate(manager, stronger, { scope: "read", grant_types: ["client_credentials"] }))).toStrictEqual([
      403,
      "insufficient_scope",
    ]);
    expect(outcome(() => assertMayDelete(manager, stronger))).toStrictEqual([403, "insufficient_scope"]);
    expect(outcome(() => assertMayDelete(manager, key("read", ["client_credentials"])))).toBe("allowed");
  });

  it("never let a key delete itself or drop its own way back in", () => {
    const self = key("read application_keys", ["client_credentials"], manager.client_id);
    expect(outcome(() => assertMayDelete(manager, self))).toStrictEqual([409, "conflict"]);
    expect(outcome(() => assertMayUpdate(manager, self, { scope: "read", grant_types: ["client_credentials"] }))).toStrictEqual([
      409,
      "conflict",
    ]);
    expect(outcome(() => assertMayUpdate(manager, self, { scope: "read application_keys", grant_types: ["implicit"] }))).toStrictEqual([
      409,
      "conflict",
    ]);
  });

  it("call a change a narrowing when it takes away a scope or a grant, and only then", () => {
    const current = key("read write", ["client_credentials", "implicit"]);
    expect(narrows(current, { scope: "read write", grant_types: ["client_credentials", "implicit"] })).toBe(false);
    expect(narrows(current, { scope: "read write application_keys", grant_types: ["client_credentials", "implicit"] })).toBe(false);
    expect(narrows(current, { scope: "read", grant_types: ["client_credentials", "implicit"] })).toBe(true);
    expect(narrows(current, { scope: "read write", grant_types: ["implicit"] })).toBe(true);
    // A record older than scopes holds everything: any explicit permission set narrows it.
    const { scope: _s, grant_types: _g, ...legacy } = current;
    expect(narrows(legacy, { scope: "read write", grant_types: ["client_credentials", "implicit"] })).toBe(true);
  });
});
