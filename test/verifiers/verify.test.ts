import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOCK_SKEW_SECONDS } from "../../src/lib/limits.ts";
import { putClientRevocation } from "../../src/store/revocations.ts";
import { verifyOwnToken } from "../../src/tokens/service.ts";
import { createVerifier, type VerifierOptions } from "../../src/verify.ts";
import { badTokens } from "../support/bad-tokens.ts";
import { claimsOf, createApplicationKey, issueAt, nowSeconds, ORIGIN, post, signWith, tokenFor } from "../support/helpers.ts";

describe("the verification pipeline", () => {
  it("accepts a live token and returns its claims", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    expect(await verifyOwnToken(env, token)).toStrictEqual({ ok: true, claims: claimsOf(token) });
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

describe("client-wide revocation", () => {
  it("kills the client's tokens issued before it, and only those", async () => {
    const client = await createApplicationKey();
    const other = await createApplicationKey();
    const now = nowSeconds();
    const older = await issueAt(client, now - 10);
    const sameSecond = await issueAt(client, now);
    const otherClients = await issueAt(other, now - 10);

    await putClientRevocation(env.REVOCATIONS, client.client_id, now);
    const newer = await issueAt(client, now + 1);

    expect(await verifyOwnToken(env, older.token)).toStrictEqual({ ok: false, code: "revoked" });
    expect(await verifyOwnToken(env, sameSecond.token)).toStrictEqual({ ok: false, code: "revoked" });
    expect((await verifyOwnToken(env, newer.token)).ok).toBe(true);
    expect((await verifyOwnToken(env, otherClients.token)).ok).toBe(true);
  });

  it("is one KV entry that outlives the longest token", async () => {
    const client = await createApplicationKey();
    const now = nowSeconds();
    await putClientRevocation(env.REVOCATIONS, client.client_id, now);
    const { keys } = await env.REVOCATIONS.list({ prefix: `client:${client.client_id}` });
    expect(keys).toStrictEqual([{ name: `client:${client.client_id}`, expiration: now + 86_400 + CLOCK_SKEW_SECONDS }]);
    expect(await env.REVOCATIONS.get(`client:${client.client_id}`)).toBe(String(now));
  });

  it("also holds over HTTP introspection", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    await putClientRevocation(env.REVOCATIONS, client.client_id, nowSeconds());
    const res = await post("/oauth/introspect", { token, client_id: client.client_id, client_secret: client.client_secret });
    expect(await res.json()).toStrictEqual({ active: false });
  });
});

describe("the importable verifier's revocation choice", () => {
  const jwks = () => env.EDGE_TOKEN;

  it("is required: leaving it out is a TypeError, not a silent 'never revoked'", () => {
    const options = { issuer: ORIGIN, jwks: jwks() } as unknown as VerifierOptions;
    expect(() => createVerifier(options)).toThrow(TypeError);
    expect(() => createVerifier(options)).toThrow('createVerifier: "revocations" is required');
    expect(() => createVerifier({ ...options, revocations: undefined } as unknown as VerifierOptions)).toThrow(TypeError);
    expect(() => createVerifier({ ...options, revocations: null } as unknown as VerifierOptions)).toThrow(TypeError);
  });

  it("revocations: false lets a revoked token pass until it expires; the namespace refuses it", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    expect((await post("/oauth/revoke", { token, client_id: client.client_id, client_secret: client.client_secret })).status).toBe(200);
    const blind = createVerifier({ issuer: ORIGIN, jwks: jwks(), revocations: false });
    const seeing = createVerifier({ issuer: ORIGIN, jwks: jwks(), revocations: env.REVOCATIONS });
    expect((await blind.verify(token, { method: "GET" })).valid).toBe(true);
    expect(await seeing.verify(token, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "revoked" });
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
