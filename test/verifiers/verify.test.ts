import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { CLOCK_SKEW_SECONDS } from "../../src/lib/limits.ts";
import { registry } from "../../src/store/registry.ts";
import { verifyOwnToken } from "../../src/tokens/service.ts";
import { createVerifier, type VerifierOptions } from "../../src/verify.ts";
import { badTokens } from "../support/bad-tokens.ts";
import { claimsOf, createApplicationKey, issueAt, nowSeconds, ORIGIN, post, signWith, tokenFor } from "../support/helpers.ts";
import { cutoffsInKv } from "../support/status.ts";

describe("the verification pipeline", () => {
  it("accepts a live token and returns its claims", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    expect(await verifyOwnToken(env, token)).toStrictEqual({ ok: true, claims: claimsOf(token), kid: expect.any(String) });
  });

  it("gives every bad token its stable failure code, and never throws", async () => {
    const client = await createApplicationKey();
    for (const [name, token, code] of await badTokens(client)) {
      expect([name, await verifyOwnToken(env, token)]).toStrictEqual([name, { ok: false, code }]);
    }
    for (const junk of [undefined, null, 42, {}, "", "x".repeat(9000), "a.b", "....", "é.é.é"]) {
      expect(await verifyOwnToken(env, junk)).toStrictEqual({ ok: false, code: "malformed" });
    }
  });

  it("tolerates a small clock skew on exp, and no more", async () => {
    const client = await createApplicationKey();
    const now = nowSeconds();
    const justExpired = await issueAt(client, now - 3600 - CLOCK_SKEW_SECONDS + 5);
    const longExpired = await issueAt(client, now - 3600 - CLOCK_SKEW_SECONDS - 5);
    expect((await verifyOwnToken(env, justExpired.token)).ok).toBe(true);
    expect(await verifyOwnToken(env, longExpired.token)).toStrictEqual({ ok: false, code: "expired" });
  });

  it("without ISSUER (local development), accepts a token of its own key set whatever its iss, if aud matches iss", async () => {
    const local = { ...env, ISSUER: "", ALLOW_REQUEST_ORIGIN_ISSUER: "true" };
    const own = await signWith({ iss: "http://localhost:8787", aud: "http://localhost:8787" });
    const crossed = await signWith({ iss: "http://localhost:8787", aud: "https://elsewhere.example" });
    expect((await verifyOwnToken(local, own)).ok).toBe(true);
    expect(await verifyOwnToken(local, crossed)).toStrictEqual({ ok: false, code: "wrong_audience" });
    // With ISSUER set, the same token is refused for its issuer.
    expect(await verifyOwnToken(env, own)).toStrictEqual({ ok: false, code: "wrong_issuer" });
  });

  it("checks AUDIENCE when it is set", async () => {
    const api = { ...env, AUDIENCE: "https://api.example" };
    expect((await verifyOwnToken(api, await signWith({ aud: "https://api.example" }))).ok).toBe(true);
    expect(await verifyOwnToken(api, await signWith({ aud: ORIGIN }))).toStrictEqual({ ok: false, code: "wrong_audience" });
  });
});

describe("client-wide cut-offs", () => {
  const operator = { kind: "operator" as const, actor: "test" };

  it("a narrowing revokes the tokens minted from the key's earlier records, by version; tokens without one by iat", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const client = await createApplicationKey();
      const other = await createApplicationKey();
      const now = nowSeconds();
      const before = await tokenFor(client);
      const legacyBefore = await issueAt(client, now); // as an earlier version issued it: no key_version
      const othersToken = await tokenFor(other);
      expect(claimsOf(before).key_version).toBe(1);

      const narrowed = await registry(env).update(operator, client.id, { scope: "read" });
      expect(narrowed.ok).toBe(true);
      const after = await tokenFor(client);
      expect([claimsOf(after).key_version, claimsOf(after).scope]).toStrictEqual([2, "read"]);

      expect(await verifyOwnToken(env, before)).toStrictEqual({ ok: false, code: "revoked" });
      expect(await verifyOwnToken(env, legacyBefore.token)).toStrictEqual({ ok: false, code: "revoked" });
      expect((await verifyOwnToken(env, after)).ok).toBe(true);
      expect((await verifyOwnToken(env, othersToken)).ok).toBe(true);
      // Tokens without a version claim keep the time cut-off: issued until the narrower record reached every isolate (10 + 60 s).
      vi.setSystemTime(Date.now() + 75_000);
      expect(await verifyOwnToken(env, (await issueAt(client, now + 70)).token)).toStrictEqual({ ok: false, code: "revoked" });
      expect((await verifyOwnToken(env, (await issueAt(client, now + 71)).token)).ok).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("lives in the one shared cut-offs document, and nowhere else: no KV key per client", async () => {
    const client = await createApplicationKey();
    const now = nowSeconds();
    expect((await registry(env).update(operator, client.id, { scope: "read" })).ok).toBe(true);
    const cutoff = (await cutoffsInKv())!.clients[client.client_id]!;
    expect(cutoff.v).toBe(2);
    expect(cutoff.t).toBeGreaterThanOrEqual(now + 70);
    expect(cutoff.t).toBeLessThanOrEqual(nowSeconds() + 70);
    expect((await env.REVOCATIONS.list({ prefix: `client:${client.client_id}` })).keys).toStrictEqual([]);
  });

  it("also holds over HTTP introspection", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    expect((await registry(env).remove(operator, client.id)).ok).toBe(true);
    const inspector = await createApplicationKey("inspector");
    const res = await post("/oauth/introspect", { token, client_id: inspector.client_id, client_secret: inspector.client_secret });
    expect(await res.json()).toStrictEqual({ active: false });
  });
});

describe("the importable verifier's revocation choice", () => {
  const jwks = () => env.EDGE_TOKEN;

  it("checks status lists unless told false; anything but a boolean or an object is a TypeError", () => {
    const options = { issuer: ORIGIN, jwks: jwks() } as VerifierOptions;
    expect(() => createVerifier(options)).not.toThrow();
    for (const bad of [null, "yes", 1]) {
      expect(() => createVerifier({ ...options, revocations: bad } as unknown as VerifierOptions)).toThrow(TypeError);
    }
  });

  it("revocations: false lets a revoked token pass until it expires; by default it is refused", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    expect((await post("/oauth/revoke", { token, client_id: client.client_id, client_secret: client.client_secret })).status).toBe(200);
    const blind = createVerifier({ issuer: ORIGIN, jwks: jwks(), revocations: false });
    const seeing = createVerifier({ issuer: ORIGIN, jwks: jwks() });
    // how earlier versions were configured: the namespace is no longer read, and revocations are checked
    const asBefore = createVerifier({ issuer: ORIGIN, jwks: jwks(), revocations: env.REVOCATIONS });
    expect((await blind.verify(token, { method: "GET" })).valid).toBe(true);
    expect(await seeing.verify(token, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "revoked" });
    expect(await asBefore.verify(token, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "revoked" });
  });
});

describe("the importable verifier's audience", () => {
  it("takes a string or a list, matched against any aud entry", async () => {
    const jwks = env.EDGE_TOKEN;
    const orders = createVerifier({
      issuer: ORIGIN,
      jwks,
      revocations: false,
      audience: ["https://orders.example", "https://api.example"],
    });
    const single = createVerifier({ issuer: ORIGIN, jwks, revocations: false, audience: "https://orders.example" });
    const read = { method: "GET" };
    const cases: [string | string[], boolean][] = [
      ["https://orders.example", true],
      ["https://api.example", true],
      [["https://billing.example", "https://orders.example"], true],
      ["https://billing.example", false],
      [["https://billing.example", ORIGIN], false],
    ];
    for (const [aud, ok] of cases) {
      const token = await signWith({ aud });
      expect([aud, (await orders.verify(token, read)).valid]).toStrictEqual([aud, ok]);
    }
    expect((await single.verify(await signWith({ aud: ["x:y", "https://orders.example"] }), read)).valid).toBe(true);
    expect(await single.verify(await signWith({ aud: "https://api.example" }), read)).toStrictEqual({
      valid: false,
      status: 401,
      error: "wrong_audience",
    });
    // request.audience narrows a general verifier to one route's resource
    const general = createVerifier({ issuer: ORIGIN, jwks, revocations: false });
    expect(
      (await general.verify(await signWith({ aud: "https://orders.example" }), { ...read, audience: "https://orders.example" })).valid,
    ).toBe(true);
  });
});
