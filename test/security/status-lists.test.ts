import { env } from "cloudflare:workers";
import { base64url, generateKeyPair, SignJWT } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { registry } from "../../src/store/registry.ts";
import { createVerifier, unauthorized, type VerifyResult } from "../../src/verify.ts";
import { claimsOf, createAdmin, createApplicationKey, ORIGIN, post } from "../support/helpers.ts";
import { adminAt, check, failAtB, type Key, lagAtB, listKeyOf, recordKeys, tokenAt } from "../support/locations.ts";
import { signerOf } from "../support/signer.ts";
import { cutoffsInKv } from "../support/status.ts";

/**
 * Revocation by key version and by status list, played out between location A (this runner) and
 * a location B whose KV lags (test/support/locations.ts): what changes at once, what waits for
 * KV, and that a verifier never answers valid for what it cannot see.
 */
// B must have an older cut-offs document to lag with: a location whose KV has none at all asks the registry.
beforeAll(async () => {
  const throwaway = await createApplicationKey("throwaway");
  expect((await registry(env).remove({ kind: "operator", actor: "test" }, throwaway.id)).ok).toBe(true);
  expect(await env.REVOCATIONS.get("cutoffs")).not.toBeNull();
});

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await lagAtB({ CLIENTS: [], REVOCATIONS: [] });
  await failAtB([]);
});

const admin = async () => (await tokenAt("A", await createAdmin())).token;
const revoke = (token: string, k: Key) => post("/oauth/revoke", { token, client_id: k.client_id, client_secret: k.client_secret });

describe("a narrowing never stops the key", () => {
  it("the location that made it issues narrower tokens at once; a stale location's old-version tokens fail once the cut-off reaches it", async () => {
    const bearer = await admin();
    const key = (await createApplicationKey("narrowed", { scope: "read write" })) as Key;
    const before = (await tokenAt("A", key)).token;
    await lagAtB({ CLIENTS: recordKeys(key), REVOCATIONS: ["cutoffs"] }); // B has seen neither the change nor its cut-off

    expect((await adminAt("A", bearer, `/v2/application-keys/${key.id}`, "PUT", { scope: "read" })).status).toBe(200);
    const now = await tokenAt("A", key);
    expect(now.status).toBe(200); // never a 503 because the key changed
    expect([claimsOf(now.token).scope, claimsOf(now.token).key_version]).toStrictEqual(["read", 2]);
    const stale = await tokenAt("B", key); // from B's copy of the old record
    expect([stale.status, claimsOf(stale.token).scope, claimsOf(stale.token).key_version]).toStrictEqual([200, "read write", 1]);

    // A knows the cut-off: the old tokens are refused there at once, the narrower one passes.
    expect([await check("A", before), await check("A", stale.token), await check("A", now.token)]).toStrictEqual([
      "revoked",
      "revoked",
      "valid",
    ]);
    // B learns it when its KV does; until then its stale tokens pass there (docs/security.md: the window).
    expect(await check("B rpc", stale.token)).toBe("valid");
    await lagAtB({ REVOCATIONS: [] });
    for (const where of ["B rpc", "B module"] as const) {
      expect([where, await check(where, stale.token), await check(where, before), await check(where, now.token)]).toStrictEqual([
        where,
        "revoked",
        "revoked",
        "valid",
      ]);
    }
  });
});

describe("a delete", () => {
  it("racing issuance at a stale location: whatever B mints from its copy is refused everywhere once the cut-off arrives", async () => {
    const bearer = await admin();
    const key = (await createApplicationKey("doomed")) as Key;
    await lagAtB({ CLIENTS: recordKeys(key), REVOCATIONS: ["cutoffs"] });
    const [deleted, ...minted] = await Promise.all([
      adminAt("A", bearer, `/v2/application-keys/${key.id}`, "DELETE"),
      ...Array.from({ length: 5 }, () => tokenAt("B", key)),
    ]);
    expect(deleted!.status).toBe(204);
    const later = await tokenAt("B", key); // after the delete, B still reads the old record
    const tokens = [...minted, later].filter((m) => m.status === 200).map((m) => m.token);
    expect(tokens.length).toBeGreaterThan(0);
    expect((await tokenAt("A", key)).status).toBe(401);
    // The cut-off names every version, for good, in the one shared document.
    const cutoffs = (await cutoffsInKv())!;
    expect(cutoffs.clients[key.client_id]).toStrictEqual({ v: Number.MAX_SAFE_INTEGER, t: 253402300799 });
    for (const t of tokens) expect(await check("A", t)).toBe("revoked");
    await lagAtB({ CLIENTS: [], REVOCATIONS: [] });
    expect((await tokenAt("B", key)).status).toBe(401);
    for (const t of tokens) expect([await check("B rpc", t), await check("B module", t)]).toStrictEqual(["revoked", "revoked"]);
  });
});

describe("/oauth/revoke", () => {
  it("of a fresh token: the RPC and module verifiers refuse it within the window, having read nothing keyed by it before", async () => {
    const key = (await createApplicationKey()) as Key;
    const seen = (await tokenAt("A", key)).token;
    expect(await check("A", seen)).toBe("valid"); // A holds the status list and the cut-offs now
    const get = vi.spyOn(env.REVOCATIONS, "get");
    const fresh = (await tokenAt("A", key)).token;
    expect(await check("A", fresh)).toBe("valid");
    expect(get.mock.calls.flat().filter((k) => String(k).includes(claimsOf(fresh).jti) || String(k).includes(key.client_id))).toStrictEqual(
      [],
    );
    get.mockRestore();

    await lagAtB({ REVOCATIONS: [listKeyOf(fresh)] }); // B's KV has not seen the bit yet
    expect((await revoke(fresh, key)).status).toBe(200);
    expect(await check("A", fresh)).toBe("revoked"); // where it was revoked: at once
    expect(await check("B rpc", fresh)).toBe("valid"); // elsewhere: once KV brings it
    await lagAtB({ REVOCATIONS: [] });
    expect([await check("B rpc", fresh), await check("B module", fresh)]).toStrictEqual(["revoked", "revoked"]);
    // A module verifier holding the list longer (REVOCATION_CACHE_SECONDS 10) sees it within those 10 s.
    vi.useFakeTimers({ toFake: ["Date"] });
    const other = (await tokenAt("A", key)).token;
    const holding = createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, revocationCacheSeconds: 10 });
    const lived = (await holding.verify(other, { method: "GET" })).valid;
    expect((await revoke(other, key)).status).toBe(200);
    vi.setSystemTime(Date.now() + 1_001); // past the list's ttl (1 s here): B serves ttl = max(1, REVOCATION_CACHE_SECONDS)
    expect([lived, await holding.verify(other, { method: "GET" })]).toStrictEqual([true, { valid: false, status: 401, error: "revoked" }]);
  });
});

describe("a verifier fails closed", () => {
  it("when it cannot get the status list: 401 status_unavailable, not valid; a copy it holds serves for 300 s, no longer", async () => {
    const key = (await createApplicationKey()) as Key;
    const token = (await tokenAt("A", key)).token;
    await failAtB(["/oauth/status-lists"]);
    const unable = createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN }); // holds no copy
    const refused = await unable.verify(token, { method: "GET" });
    expect(refused).toStrictEqual({ valid: false, status: 401, error: "status_unavailable" });
    const res = unauthorized(refused as Extract<VerifyResult, { valid: false }>); // what the consumer answers
    expect([res.status, res.headers.get("WWW-Authenticate")]).toStrictEqual([
      401,
      'Bearer realm="api", error="invalid_token", DPoP algs="EdDSA Ed25519 ES256 PS256", error="invalid_token"',
    ]);
    expect(await res.json()).toStrictEqual({
      errors: [
        {
          title: "Unauthorized",
          status: "401",
          detail: "The access token is missing, invalid, expired or revoked.",
          code: "invalid_token",
        },
      ],
    });

    await failAtB([]);
    vi.useFakeTimers({ toFake: ["Date"] });
    const verifier = createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, revocationCacheSeconds: 10 });
    expect((await verifier.verify(token, { method: "GET" })).valid).toBe(true); // fetched, held
    await failAtB(["/oauth/status-lists", "/oauth/cutoffs"]);
    vi.setSystemTime(Date.now() + 299_000);
    expect((await verifier.verify(token, { method: "GET" })).valid).toBe(true); // cannot refresh: the copy still serves
    vi.setSystemTime(Date.now() + 2_000);
    expect(await verifier.verify(token, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "status_unavailable" });
  });

  it("when the status list is tampered with, signed by another key, unsigned, for another URI, or not a status list", async () => {
    const key = (await createApplicationKey()) as Key;
    const token = (await tokenAt("A", key)).token;
    const uri = claimsOf(token).status!.status_list.uri;
    const genuine = await (await env.EDGE_TOKEN.fetch(uri)).text();
    expect(genuine.split(".")).toHaveLength(3);
    const [h, p, s] = genuine.split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!)));
    const signer = await signerOf(env.SIGNING_KEYS);
    const sign = (payload: object, header: object, k: CryptoKey = signer.key) =>
      new SignJWT({ ...payload }).setProtectedHeader({ alg: "EdDSA", kid: signer.kid, ...header }).sign(k);
    const stranger = (await generateKeyPair("Ed25519")).privateKey;
    const cases: [string, string][] = [
      ["tampered", `${h}.${base64url.encode(JSON.stringify({ ...claims, status_list: { bits: 1, lst: "eJwDAAAAAAE" } }))}.${s}`],
      ["another key", await sign(claims, { typ: "statuslist+jwt" }, stranger)],
      ["unsigned", `${base64url.encode(JSON.stringify({ alg: "none", typ: "statuslist+jwt" }))}.${p}.`],
      ["another uri", await sign({ ...claims, sub: `${ORIGIN}/oauth/status-lists/999999` }, { typ: "statuslist+jwt" })],
      ["an access token", token],
      ["wrong typ", await sign(claims, { typ: "JWT" })],
      ["expired", await sign({ ...claims, exp: claims.iat - 60 }, { typ: "statuslist+jwt" })],
    ];
    for (const [name, served] of cases) {
      const fetcher = {
        fetch: (url: string, init?: RequestInit) =>
          url === uri
            ? Promise.resolve(new Response(served, { headers: { "Content-Type": "application/statuslist+jwt" } }))
            : env.EDGE_TOKEN.fetch(url, init),
      };
      const verifier = createVerifier({ issuer: ORIGIN, jwks: fetcher });
      expect([name, await verifier.verify(token, { method: "GET" })]).toStrictEqual([
        name,
        { valid: false, status: 401, error: "status_unavailable" },
      ]);
    }
  });
});

describe("index leases", () => {
  it("under concurrent issuance from two Workers, never hand one index to two tokens", async () => {
    const keys = (await Promise.all(Array.from({ length: 4 }, (_, i) => createApplicationKey(`lease ${i}`)))) as Key[];
    const minted = await Promise.all(Array.from({ length: 600 }, (_, i) => tokenAt(i % 2 ? "A" : "B", keys[i % keys.length]!)));
    expect(minted.filter((m) => m.status !== 200)).toStrictEqual([]);
    const places = minted.map((m) => {
      const ref = claimsOf(m.token).status!.status_list;
      return `${ref.uri}#${ref.idx}`;
    });
    expect(new Set(places).size).toBe(600);
  });
});

describe("the registry under concurrent changes from two Workers", () => {
  it("revocations, narrowings and token requests at once, at A and B: every one answered, none a 5xx", async () => {
    const bearer = await admin();
    const keys = (await Promise.all(Array.from({ length: 6 }, (_, i) => createApplicationKey(`busy ${i}`)))) as Key[];
    const held = await Promise.all(keys.flatMap((k) => [tokenAt("A", k), tokenAt("B", k)]));
    const statuses = await Promise.all([
      ...held.map((h, i) => {
        const k = keys[Math.floor(i / 2)]!;
        const form = { token: h.token, client_id: k.client_id, client_secret: k.client_secret };
        return i % 2
          ? env.EDGE_TOKEN.fetch(`${ORIGIN}/oauth/revoke`, {
              method: "POST",
              headers: { "Content-Type": "application/x-www-form-urlencoded" },
              body: new URLSearchParams(form).toString(),
            }).then((r) => r.status)
          : post("/oauth/revoke", form).then((r) => r.status);
      }),
      ...keys.map((k, i) =>
        adminAt(i % 2 ? "B" : "A", bearer, `/v2/application-keys/${k.id}`, "PUT", { scope: "read" }).then((r) => r.status),
      ),
      ...keys.flatMap((k) => [tokenAt("A", k).then((r) => r.status), tokenAt("B", k).then((r) => r.status)]),
    ]);
    expect(statuses.filter((s) => s !== 200)).toStrictEqual([]);
  });
});
