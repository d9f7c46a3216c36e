import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { decodeJwt, exportJWK, generateKeyPair } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { MAX_STATUS_LIST_BYTES } from "../../src/lib/limits.ts";
import { decodeList, encodeList } from "../../src/oauth/status-list.ts";
import { signStatusToken } from "../../src/tokens/sign-status-token.ts";
import { forgetSigningKeys } from "../../src/tokens/signing-keys.ts";
import { STATUS_LIST_TYP } from "../../src/tokens/status-token.ts";
import { createVerifier } from "../../src/verify.ts";
import { call, claimsOf, createAdmin, createApplicationKey, ORIGIN, post, registryStub, signWith, tokenFor } from "../support/helpers.ts";
import { jsonIn, statedIn } from "../support/kv-values.ts";
import { adminAt, check, type Key, lagAtB, listKeyOf, tokenAt } from "../support/locations.ts";
import { assertion, clientKey } from "../support/possession.ts";
import { signerOf } from "../support/signer.ts";
import { bitInKv, cutoffsInKv } from "../support/status.ts";

/**
 * KV is a cache the edge checks, never an authority (docs/security.md, "Who can write what"):
 * a writer of KV without SIGNING_KEY_KEK gains no right, whatever it writes where, and the
 * registry refuses what the verifiers refuse from its own tables, however stale a location's
 * KV is. Storage of its own: it tampers with documents every suite reads, and rotates the
 * signing keys in its last test.
 */
afterEach(async () => {
  vi.restoreAllMocks();
  await lagAtB({ CLIENTS: [], REVOCATIONS: [] });
});

const KEYS = "/v2/application-keys";
/** This location with its isolate caches off, so that every request reads KV as B's do. */
const UNCACHED = { CLIENT_CACHE_SECONDS: "0", REVOCATION_CACHE_SECONDS: "0" };
const SIGNING_KEYS = "signing-keys";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Every console.error line logged while `run` ran, parsed. */
async function errorLines(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(JSON.parse(String(line))));
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

/** An envelope's payload replaced, its MAC kept: what a writer without the KEK makes of a value it read. */
function withPayload(envelope: string, payload: string): string {
  return `${envelope.split(".").slice(0, 4).join(".")}.${payload}`;
}

const introspect = async (admin: Key, token: string) =>
  (await post("/oauth/introspect", { token, client_id: admin.client_id, client_secret: admin.client_secret })).json();
/** Introspection at B, whose KV may lag. */
const introspectAtB = async (admin: Key, token: string) =>
  (
    await env.EDGE_TOKEN.fetch(`${ORIGIN}/oauth/introspect`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, client_id: admin.client_id, client_secret: admin.client_secret }).toString(),
    })
  ).json() as Promise<{ active: boolean }>;

describe("a writer of KV without the KEK", () => {
  it("appends a public key to the signing keys' copy: it is not in the JWKS, and a token it signs is refused everywhere", async () => {
    const admin = await createAdmin("appended-key admin");
    await tokenFor(admin); // the document is in KV
    const real = (await env.CLIENTS.get(SIGNING_KEYS))!;
    const doc = (await jsonIn<{ keys: Record<string, unknown>[] }>(env.CLIENTS, SIGNING_KEYS))!;
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const jwk = { ...(await exportJWK(publicKey)), kid: "intruder", alg: "EdDSA", use: "sig" };
    const appended = JSON.stringify({ ...doc, keys: [...doc.keys, { kid: "intruder", alg: "EdDSA", state: "retiring", jwk }] });
    const forged = await signWith(
      { client_id: admin.client_id, sub: admin.client_id, scope: "read write application_keys" },
      { kid: "intruder", alg: "EdDSA" },
      privateKey,
    );

    const lines = await errorLines(async () => {
      // Where this version keeps it (its MAC kept, the payload grown), and where earlier versions kept it, plain.
      await env.CLIENTS.put(SIGNING_KEYS, withPayload(real, appended));
      await env.REVOCATIONS.put(SIGNING_KEYS, appended);
      forgetSigningKeys(env); // this isolate reads KV again now (B keeps no copy: its caches are off)
      try {
        const jwks = (await (await call("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] };
        expect(jwks.keys.map((k) => k.kid)).not.toContain("intruder");
        expect(jwks.keys.length).toBe(doc.keys.length);
        const managed = await call(KEYS, { headers: { Authorization: `Bearer ${forged}` } });
        expect(managed.status).toBe(401);
        expect(await introspect(admin, forged)).toStrictEqual({ active: false });
        expect(await check("A", forged)).toBe("unknown_kid");
        expect(await check("B rpc", forged)).toBe("unknown_kid");
        expect(await check("B module", forged)).toBe("unknown_kid");
        // The service keeps issuing and verifying with the registry's own copy.
        expect((await call(KEYS, { headers: { Authorization: `Bearer ${await tokenFor(admin)}` } })).status).toBe(200);
        expect(await check("B rpc", await tokenFor(await createApplicationKey("bystander of the appended key")))).toBe("valid");
      } finally {
        await env.CLIENTS.put(SIGNING_KEYS, real);
        await env.REVOCATIONS.delete(SIGNING_KEYS);
      }
    });
    const refusals = lines.filter((l) => l.kv !== undefined);
    expect(refusals).toContainEqual({
      level: "error",
      kv: "value refused; the registry's copy is used",
      key: SIGNING_KEYS,
      why: "unauthentic",
    });
    // once per value and location (A, and B in its own isolate), never the value itself
    expect(refusals.filter((l) => l.key === SIGNING_KEYS).length).toBeLessThanOrEqual(2);
    expect(JSON.stringify(lines)).not.toContain(jwk.x);
  });

  it("raises a key's scope in its record: the key gets no more than the registry gave it, and other keys keep issuing", async () => {
    const low = await createApplicationKey("low", { scope: "read", grant_types: ["client_credentials"] });
    const other = await createApplicationKey("bystander", { scope: "read" });
    const key = `client:${low.client_id}`;
    const real = (await env.CLIENTS.get(key))!;
    const raised = JSON.stringify({
      ...(await jsonIn(env.CLIENTS, key)),
      scope: "read write application_keys",
      grant_types: ["client_credentials", "implicit"],
    });
    for (const written of [raised, withPayload(real, raised)]) {
      const lines = await errorLines(async () => {
        await env.CLIENTS.put(key, written);
        const res = await post(
          "/oauth/access_token",
          { grant_type: "client_credentials", client_id: low.client_id, client_secret: low.client_secret },
          {},
          UNCACHED,
        );
        expect(res.status).toBe(200);
        const token = ((await res.json()) as { access_token: string }).access_token;
        expect(claimsOf(token).scope).toBe("read");
        const asked = await post(
          "/oauth/access_token",
          { grant_type: "client_credentials", client_id: low.client_id, client_secret: low.client_secret, scope: "application_keys" },
          {},
          UNCACHED,
        );
        expect(asked.status).toBe(400);
        expect(((await asked.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("invalid_scope");
        expect((await post("/oauth/access_token", { grant_type: "implicit", client_id: low.client_id }, {}, UNCACHED)).status).toBe(400);
        expect((await tokenAt("B", low)).token).not.toBe(""); // another location, from the registry's copy too
        expect(claimsOf((await tokenAt("B", low)).token).scope).toBe("read");
        expect(claimsOf(await tokenFor(other)).scope).toBe("read");
      });
      expect(lines).toContainEqual({
        level: "error",
        kv: "value refused; the registry's copy is used",
        key,
        why: written === raised ? "malformed" : "unauthentic",
      });
      expect(JSON.stringify(lines)).not.toContain("application_keys");
    }
    await env.CLIENTS.put(key, real);
  });

  it("zeroes a status list: no token comes back; the list still has its bit, at every verifier", async () => {
    const admin = await createAdmin("zeroed-list admin");
    const holder = await createApplicationKey("holder of a revoked token");
    const token = await tokenFor(holder);
    expect((await post("/oauth/revoke", { token, client_id: holder.client_id, client_secret: holder.client_secret })).status).toBe(200);
    await vi.waitFor(async () => expect(await bitInKv(token)).toBe(1), { timeout: 5000, interval: 100 });
    const listKey = listKeyOf(token);
    const doc = (await jsonIn<{ lst: string; bits: number }>(env.REVOCATIONS, listKey))!;
    const size = (await decodeList(doc, MAX_STATUS_LIST_BYTES)).bytes.length * 8;
    const zeroed = JSON.stringify({ ...doc, ...(await encodeList(size, [])) });
    const real = (await env.REVOCATIONS.get(listKey))!;
    for (const written of [zeroed, withPayload(real, zeroed)]) {
      await env.REVOCATIONS.put(listKey, written);
      expect(await check("B rpc", token)).toBe("revoked");
      expect(await check("B module", token)).toBe("revoked");
      expect(await introspect(admin, token)).toStrictEqual({ active: false });
    }
    await env.REVOCATIONS.put(listKey, real);
  });

  it("moves a value to another key: refused there, so another key's record lends no secret", async () => {
    const target = await createAdmin("moved-to admin");
    const donor = await createApplicationKey("donor whose secret is known");
    const key = `client:${target.client_id}`;
    const real = (await env.CLIENTS.get(key))!;
    const lines = await errorLines(async () => {
      await env.CLIENTS.put(key, (await env.CLIENTS.get(`client:${donor.client_id}`))!);
      const borrowed = await post(
        "/oauth/access_token",
        { grant_type: "client_credentials", client_id: target.client_id, client_secret: donor.client_secret },
        {},
        UNCACHED,
      );
      expect(borrowed.status).toBe(401);
      expect((await tokenAt("B", { ...target, client_secret: donor.client_secret })).status).toBe(401);
      expect(claimsOf(await tokenFor(target)).scope).toBe("read write application_keys");
    });
    expect(lines).toContainEqual({ level: "error", kv: "value refused; the registry's copy is used", key, why: "unauthentic" });
    await env.CLIENTS.put(key, real);
  });
});

describe("a writer of KV who kept an earlier copy", () => {
  const put = (bearer: string, id: string, data: Record<string, unknown>) =>
    call(`${KEYS}/${id}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
      body: JSON.stringify({ data: { type: "application_key", ...data } }),
    });

  it("puts back a private_key_jwt key's record from before an assertion key was taken out of its jwks: the old key gets nothing", async () => {
    const manager = await tokenFor(await createAdmin("jwks manager"));
    const [a1, a2] = [await clientKey("EdDSA"), await clientKey("EdDSA")];
    const created = await call(KEYS, {
      method: "POST",
      headers: { Authorization: `Bearer ${manager}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        data: {
          type: "application_key",
          name: "assertion admin",
          scope: "read application_keys",
          token_endpoint_auth_method: "private_key_jwt",
          jwks: { keys: [a1.jwk] },
        },
      }),
    });
    const key = ((await created.json()) as { data: { id: string; client_id: string } }).data;
    const withKey = async (k: typeof a1) =>
      post(
        "/oauth/access_token",
        {
          grant_type: "client_credentials",
          client_assertion_type: JWT_BEARER,
          client_assertion: await assertion(k, key.client_id, ORIGIN),
        },
        {},
        UNCACHED,
      );
    const before = await withKey(a1);
    expect(before.status).toBe(200);
    const earlier = ((await before.json()) as { access_token: string }).access_token;
    const kept = (await env.CLIENTS.get(`client:${key.client_id}`))!;
    expect((await put(manager, key.id, { jwks: { keys: [a2.jwk] } })).status).toBe(200);
    await vi.waitFor(async () => expect(Object.keys((await cutoffsInKv())?.records ?? {})).toContain(key.client_id), {
      timeout: 5000,
      interval: 100,
    });

    await env.CLIENTS.put(`client:${key.client_id}`, kept);
    expect((await withKey(a1)).status).toBe(401); // the floor in the cut-offs: the registry's record decides
    expect((await withKey(a2)).status).toBe(200);
    // a token the old key got before is revoked like a narrowing's, and the registry refuses it, reads included
    expect(await introspect(await createAdmin("jwks introspector"), earlier)).toStrictEqual({ active: false });
    expect((await call(KEYS, { headers: { Authorization: `Bearer ${earlier}` } })).status).toBe(401);
  });

  it("puts back a record from before a quota: the quota still holds", async () => {
    const manager = await tokenFor(await createAdmin("quota manager"));
    const k = await createApplicationKey("metered later");
    await tokenFor(k);
    const kept = (await env.CLIENTS.get(`client:${k.client_id}`))!;
    expect((await put(manager, k.id, { token_quota: { per_hour: 2 } })).status).toBe(200);
    await vi.waitFor(async () => expect(Object.keys((await cutoffsInKv())?.records ?? {})).toContain(k.client_id), {
      timeout: 5000,
      interval: 100,
    });
    await env.CLIENTS.put(`client:${k.client_id}`, kept);
    const cc = { grant_type: "client_credentials", client_id: k.client_id, client_secret: k.client_secret };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post("/oauth/access_token", cc, {}, UNCACHED)).status);
    expect(statuses).toStrictEqual([200, 200, 429, 429]);
  });

  it("puts back a deleted key's record and removes its tombstone: the key stays deleted", async () => {
    const manager = await tokenFor(await createAdmin("deleting manager"));
    const k = await createApplicationKey("deleted, then put back");
    await tokenFor(k);
    const kept = (await env.CLIENTS.get(`client:${k.client_id}`))!;
    expect((await call(`${KEYS}/${k.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${manager}` } })).status).toBe(204);
    await vi.waitFor(async () => expect(Object.keys((await cutoffsInKv())?.records ?? {})).toContain(k.client_id), {
      timeout: 5000,
      interval: 100,
    });
    await env.CLIENTS.put(`client:${k.client_id}`, kept);
    await env.CLIENTS.delete(`deleted:${k.client_id}`);
    const cc = { grant_type: "client_credentials", client_id: k.client_id, client_secret: k.client_secret };
    expect((await post("/oauth/access_token", cc, {}, UNCACHED)).status).toBe(401);
    expect((await tokenAt("B", k)).status).toBe(401);
  });

  it("serves an older status list anew, signed now: its iat is its change time, so a verifier that saw the newer one refuses it", async () => {
    const holder = await createApplicationKey("holder for a re-signed list");
    const token = await tokenFor(holder);
    const listKey = listKeyOf(token);
    await vi.waitFor(async () => expect(await bitInKv(token)).toBe(0), { timeout: 5000, interval: 100 });
    const served = async () => (await env.EDGE_TOKEN.fetch(claimsOf(token).status!.status_list.uri)).text();
    const first = await served();
    const changed = (await statedIn(env.REVOCATIONS, listKey))!.iat;
    expect([decodeJwt(first).iat, decodeJwt(first).rev]).toStrictEqual([Math.floor(changed / 1000), changed]);
    // Within the same second: `rev` tells the two lists apart where `iat` cannot.
    expect((await post("/oauth/revoke", { token, client_id: holder.client_id, client_secret: holder.client_secret })).status).toBe(200);
    await vi.waitFor(async () => expect(await bitInKv(token)).toBe(1), { timeout: 5000, interval: 100 });
    const second = await served();
    expect(decodeJwt(second).rev as number).toBeGreaterThan(decodeJwt(first).rev as number);
    // What a location would serve from a put-back copy: the older list, signed at this moment.
    const signer = await signerOf(env.SIGNING_KEYS);
    const { iss, sub, ttl, status_list, rev } = decodeJwt(first) as {
      iss: string;
      sub: string;
      ttl: number;
      rev: number;
      status_list: unknown;
    };
    const resigned = await signStatusToken(signer, STATUS_LIST_TYP, {
      issuer: iss,
      subject: sub,
      ttlSeconds: ttl,
      claims: { status_list },
      changedAtMs: rev,
    });
    let replay = false;
    const fetcher = {
      fetch: (url: string, init?: RequestInit) =>
        replay && url.includes("/oauth/status-lists/")
          ? Promise.resolve(new Response(resigned, { headers: { "Content-Type": "application/statuslist+jwt" } }))
          : env.EDGE_TOKEN.fetch(url, init),
    };
    const verifier = createVerifier({ issuer: ORIGIN, jwks: fetcher, revocationCacheSeconds: 0 });
    expect(await verifier.verify(token, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "revoked" });
    replay = true;
    expect(await verifier.verify(token, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "revoked" });
  });
});

describe("a verifier never moves back in time", () => {
  it("the service's isolates (RPC, introspection) refuse an older copy of a status list put back in KV", async () => {
    const admin = await createAdmin("put-back admin");
    const holder = await createApplicationKey("holder for a put-back list");
    const token = await tokenFor(holder);
    const listKey = listKeyOf(token);
    await vi.waitFor(async () => expect(await bitInKv(token)).toBe(0), { timeout: 5000, interval: 100 });
    const before = (await env.REVOCATIONS.get(listKey))!;
    expect(await check("B rpc", token)).toBe("valid");
    expect((await post("/oauth/revoke", { token, client_id: holder.client_id, client_secret: holder.client_secret })).status).toBe(200);
    await vi.waitFor(async () => expect(await check("B rpc", token)).toBe("revoked"), { timeout: 5000, interval: 100 });
    const lines = await errorLines(async () => {
      await env.REVOCATIONS.put(listKey, before); // a copy the registry did write, kept and put back
      expect(await statedIn(env.REVOCATIONS, listKey)).not.toBeNull(); // it checks out under the KEK: only its age gives it away
      expect(await check("B rpc", token)).toBe("revoked");
      expect(await check("A", token)).toBe("revoked");
      expect(await introspect(admin, token)).toStrictEqual({ active: false });
    });
    expect(lines.filter((l) => l.kv !== undefined)).toStrictEqual([]); // an older copy is a warning, not an error
  });

  it("the module verifier refuses an older status list than one it has taken, whatever a cache on its way serves", async () => {
    const holder = await createApplicationKey("holder for a replayed list");
    const token = await tokenFor(holder);
    let kept: { body: string; headers: Headers } | undefined;
    let replay = false;
    const fetcher = {
      async fetch(url: string, init?: RequestInit): Promise<Response> {
        if (!url.includes("/oauth/status-lists/")) return env.EDGE_TOKEN.fetch(url, init);
        if (replay && kept) return new Response(kept.body, { headers: kept.headers });
        const res = await env.EDGE_TOKEN.fetch(url, init);
        kept ??= { body: await res.clone().text(), headers: new Headers(res.headers) };
        return res;
      },
    };
    const verifier = createVerifier({ issuer: ORIGIN, jwks: fetcher, revocationCacheSeconds: 0, jwksRefetchCooldownSeconds: 0 });
    expect((await verifier.verify(token, { method: "GET" })).valid).toBe(true);
    expect(kept).toBeDefined();
    await new Promise((r) => setTimeout(r, 1100)); // the next list is signed in a later second
    // Revoked at the other location: this isolate learns of it only from the lists it fetches.
    const revoked = await env.EDGE_TOKEN.fetch(`${ORIGIN}/oauth/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, client_id: holder.client_id, client_secret: holder.client_secret }).toString(),
    });
    expect(revoked.status).toBe(200);
    await vi.waitFor(async () => expect(await verifier.verify(token, { method: "GET" })).toMatchObject({ error: "revoked" }), {
      timeout: 5000,
      interval: 100,
    });
    replay = true;
    expect(await verifier.verify(token, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "revoked" });
  });
});

describe("the registry honours what verifiers honour, from its own tables", () => {
  it("a revoked admin token manages no key at a location whose KV has not seen the revocation", async () => {
    const admin = await createAdmin("revoked manager");
    const bearer = await tokenFor(admin);
    await lagAtB({ REVOCATIONS: [listKeyOf(bearer), "cutoffs"] });
    expect((await post("/oauth/revoke", { token: bearer, client_id: admin.client_id, client_secret: admin.client_secret })).status).toBe(
      200,
    );
    expect((await introspectAtB(admin, bearer)).active).toBe(true); // B's KV is behind: its isolates still take the token
    expect((await adminAt("B", bearer, KEYS, "GET")).status).toBe(401); // reads too: the registry decides
    const res = await adminAt("B", bearer, KEYS, "POST", { name: "made with a revoked token" });
    expect(res.status).toBe(401);
    expect((await res.json()) as unknown).toMatchObject({ errors: [{ status: "401", code: "invalid_token" }] });
    const list = (await (await adminAt("A", await tokenFor(admin), `${KEYS}?page[limit]=100`, "GET")).json()) as {
      data: { name: string }[];
    };
    expect(list.data.map((k) => k.name)).not.toContain("made with a revoked token");
  });

  it("a token of a kid an emergency rotation revoked manages no key at a location whose KV still has the old keys", async () => {
    const admin = await createApplicationKey("signing-key manager", { scope: "read application_keys signing_keys" });
    const bearer = await tokenFor(admin);
    await lagAtB({ CLIENTS: [SIGNING_KEYS], REVOCATIONS: [listKeyOf(bearer), "cutoffs"] });
    const rotated = await call("/v2/signing-keys/rotate", {
      method: "POST",
      headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
      body: JSON.stringify({ data: { type: "signing_key_rotation", emergency: true } }),
    });
    expect(rotated.status).toBe(200);
    expect((await introspectAtB(admin, bearer)).active).toBe(true); // B still has the old key and cut-offs
    expect((await adminAt("B", bearer, "/v2/signing-keys", "GET")).status).toBe(401);
    const res = await adminAt("B", bearer, KEYS, "POST", { name: "made with an old kid" });
    expect(res.status).toBe(401);
    expect((await res.json()) as unknown).toMatchObject({ errors: [{ status: "401", code: "invalid_token" }] });
  });
});

describe("values an earlier version wrote", () => {
  it("are upgraded in place on the registry's first start: every value rewritten authenticated, the old signing-keys copy gone", async () => {
    const k = await createApplicationKey("from the version before");
    await tokenFor(k);
    // KV as the version before this one left it: plain JSON, the signing keys in REVOCATIONS.
    const plain = async (kv: KVNamespace, key: string) => {
      const stated = await statedIn(kv, key);
      if (stated) await kv.put(key, stated.payload);
    };
    const idKey = `appkey:${k.id}`;
    for (const key of [`client:${k.client_id}`, idKey]) await plain(env.CLIENTS, key);
    await env.REVOCATIONS.put(SIGNING_KEYS, (await statedIn(env.CLIENTS, SIGNING_KEYS))!.payload);
    await env.CLIENTS.delete(SIGNING_KEYS);
    await plain(env.REVOCATIONS, "cutoffs");
    // The registry as that version left it: no KEK noted for KV, nothing noted as written.
    await runInDurableObject(registryStub(), (_, state) => {
      state.storage.sql.exec("DELETE FROM registry_meta WHERE name IN ('kv_kek', 'signing_keys_moved')");
      state.storage.sql.exec("DELETE FROM kv_values");
    });
    // Its next start: the constructor's work, as a new instance does it.
    await runInDurableObject(registryStub(), async (instance) => {
      await (instance as unknown as { alarm(): Promise<void> }).alarm();
    });
    await vi.waitFor(
      async () => {
        await runInDurableObject(registryStub(), async (instance) => {
          await (instance as unknown as { alarm(): Promise<void> }).alarm();
        });
        for (const key of [`client:${k.client_id}`, idKey, SIGNING_KEYS]) expect(await statedIn(env.CLIENTS, key)).not.toBeNull();
        expect(await statedIn(env.REVOCATIONS, "cutoffs")).not.toBeNull();
        expect(await env.REVOCATIONS.get(SIGNING_KEYS)).toBeNull();
      },
      { timeout: 10_000, interval: 300 },
    );
    expect(claimsOf(await tokenFor(k)).client_id).toBe(k.client_id);
    expect((await new TokenVerifier(createExecutionContext(), env).verify(await tokenFor(k), { method: "GET" })).valid).toBe(true);
  });
});
