import { env } from "cloudflare:workers";
import { decodeProtectedHeader } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { registry } from "../../src/store/registry.ts";
import { call, createApplicationKey, ORIGIN } from "../support/helpers.ts";
import { check, type Key, lagAtB, tokenAt, type Where } from "../support/locations.ts";

/**
 * Rotations played out between location A (this runner) and a location B whose KV copy of the
 * signing keys lags (test/support/locations.ts): a scheduled rotation refuses no request at
 * either, and an emergency one stops the old key's tokens everywhere at once. Storage of its
 * own: it rotates the keys every other suite signs with.
 */
afterEach(async () => {
  await lagAtB({ CLIENTS: [] });
});

const SIGNING_KEYS = "signing-keys"; // its KV key (src/store/kv-keys.ts)
const kidOf = (token: string) => decodeProtectedHeader(token).kid!;
const jwksAt = async (where: Where) => {
  const res = where === "A" ? await call("/.well-known/jwks.json") : await env.EDGE_TOKEN.fetch(`${ORIGIN}/.well-known/jwks.json`);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
};
const WHERE = ["A", "B rpc", "B module"] as const;
const everywhere = async (token: string) => Promise.all(WHERE.map((w) => check(w, token)));

/** Tokens requested at A and B at once, each answered 200: their tokens. */
async function burst(key: Key, n = 4): Promise<{ A: string[]; B: string[] }> {
  const at = async (where: Where) => {
    const answers = await Promise.all(Array.from({ length: n }, () => tokenAt(where, key)));
    expect(answers.map((a) => a.status)).toStrictEqual(Array(n).fill(200));
    return answers.map((a) => a.token);
  };
  const [A, B] = await Promise.all([at("A"), at("B")]);
  return { A, B };
}

describe("a scheduled rotation", () => {
  it("while both locations issue and verify, B's KV a step behind: no request refused, every token valid at A, B's RPC and B's module verifier", async () => {
    const key = (await createApplicationKey("steady")) as Key;
    const first = await burst(key);
    const [k0] = await jwksAt("A");
    expect(new Set([...first.A, ...first.B].map(kidOf))).toStrictEqual(new Set([k0]));
    await lagAtB({ CLIENTS: [SIGNING_KEYS] }); // B's copy: k0 alone

    // Publish (the schedule's step, at once): tokens are issued and checked while it happens.
    const [published, during] = await Promise.all([registry(env).runSigningKeySchedule({ advance: true }), burst(key)]);
    expect(published.ok && published.value.changes.map((c) => c.action)).toStrictEqual(["publish"]);
    const [, k1] = await jwksAt("A");
    expect(await jwksAt("A")).toStrictEqual([k0, k1]);
    expect(await jwksAt("B")).toStrictEqual([k0]); // B has not seen the next key yet: it signs nothing, so nothing needs it
    for (const t of [...first.A, ...first.B, ...during.A, ...during.B]) {
      expect(kidOf(t)).toBe(k0);
      expect(await everywhere(t)).toStrictEqual(["valid", "valid", "valid"]);
    }

    // The lead time passes: B's KV has the next key (and holds that copy while the switch happens).
    await lagAtB({ CLIENTS: [] });
    await lagAtB({ CLIENTS: [SIGNING_KEYS] });
    expect(await jwksAt("B")).toStrictEqual([k0, k1]);

    // Activate: A signs with k1 at once, B with k0 until its KV catches up; each verifies the other's.
    const [activated, switching] = await Promise.all([registry(env).runSigningKeySchedule({ advance: true }), burst(key)]);
    expect(activated.ok && activated.value.changes.map((c) => [c.action, c.kid])).toStrictEqual([
      ["activate", k1],
      ["retire", k0],
    ]);
    const after = await burst(key);
    expect(new Set(after.A.map(kidOf))).toStrictEqual(new Set([k1]));
    expect(new Set(after.B.map(kidOf))).toStrictEqual(new Set([k0])); // from B's copy, in which k0 still signs
    expect(await jwksAt("A")).toStrictEqual([k1, k0]);
    for (const t of [...switching.A, ...switching.B, ...after.A, ...after.B, ...first.A])
      expect([kidOf(t), ...(await everywhere(t))]).toStrictEqual([kidOf(t), "valid", "valid", "valid"]);

    await lagAtB({ CLIENTS: [] });
    const caught = await burst(key);
    expect(new Set([...caught.A, ...caught.B].map(kidOf))).toStrictEqual(new Set([k1]));
    expect(await jwksAt("B")).toStrictEqual([k1, k0]);
    for (const t of [...caught.B, ...after.B]) expect(await everywhere(t)).toStrictEqual(["valid", "valid", "valid"]);
  });
});

describe("an emergency rotation", () => {
  it("at A while B's KV still has the old keys: the old key's tokens, B's fresh ones among them, are refused at A and B at once", async () => {
    const key = (await createApplicationKey("leaked")) as Key;
    const manager = (await createApplicationKey("key manager", { scope: "signing_keys" })) as Key;
    const before = await burst(key, 2);
    const [old] = await jwksAt("A");
    const bearer = (await tokenAt("A", manager)).token;
    await lagAtB({ CLIENTS: [SIGNING_KEYS] });

    const res = await call("/v2/signing-keys/rotate", {
      method: "POST",
      headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
      body: JSON.stringify({ data: { type: "signing_key_rotation", emergency: true } }),
    });
    expect(res.status).toBe(200);
    const [fresh] = await jwksAt("A");
    expect(await jwksAt("A")).toStrictEqual([fresh]); // the old key left the JWKS at once
    expect(fresh).not.toBe(old);

    // B still signs with the old key, from its copy: what it mints is refused too.
    const stale = await tokenAt("B", key);
    expect([stale.status, kidOf(stale.token)]).toStrictEqual([200, old]);
    for (const t of [...before.A, ...before.B, stale.token]) {
      expect(await everywhere(t)).toStrictEqual(["unknown_kid", "revoked", "revoked"]);
    }
    // The manager's own token was signed by the old key too.
    const again = await call("/v2/signing-keys", { headers: { Authorization: `Bearer ${bearer}` } });
    expect(again.status).toBe(401);
    // A's new tokens: valid at A; B learns the new key with its KV (docs/rotation.md, the emergency window).
    const now = await tokenAt("A", key);
    expect(kidOf(now.token)).toBe(fresh);
    expect(await everywhere(now.token)).toStrictEqual(["valid", "unknown_kid", "unknown_kid"]);

    await lagAtB({ CLIENTS: [] });
    expect(await jwksAt("B")).toStrictEqual([fresh]);
    const later = await tokenAt("B", key);
    expect(kidOf(later.token)).toBe(fresh);
    for (const t of [now.token, later.token]) expect(await everywhere(t)).toStrictEqual(["valid", "valid", "valid"]);
    for (const t of [...before.A, ...before.B, stale.token]) {
      expect(await everywhere(t)).toStrictEqual(["unknown_kid", "unknown_kid", "unknown_kid"]);
    }
  });
});

describe("an emergency rotation at a module verifier that fetched the JWKS a moment ago", () => {
  it("refuses the old key's tokens with its next copy of the cut-offs, not only once its JWKS refetch cooldown (30 s) has passed", async () => {
    const key = (await createApplicationKey("held")) as Key;
    const old = (await tokenAt("A", key)).token;
    expect(await check("B cached", old)).toBe("valid"); // it holds the JWKS from now on, for 300 s
    expect((await registry(env).rotateSigningKeys({ kind: "operator", actor: "cli" }, { emergency: true })).ok).toBe(true);
    // The cut-offs that name the old kid are signed by the new key, which this verifier has not
    // seen. A second on (B signs its documents once a second), its next copy of them has it.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await check("B cached", old)).toBe("revoked");
    const fresh = (await tokenAt("A", key)).token;
    expect(await check("B cached", fresh)).toBe("valid");
  });
});
