import { env } from "cloudflare:workers";
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { MAX_STATUS_LIST_BYTES } from "../../src/lib/limits.ts";
import { decodeList, statusAt } from "../../src/oauth/status-list.ts";
import { registry } from "../../src/store/registry.ts";
import { call, claimsOf, createApplicationKey, error, faulty, ORIGIN, post, tokenFor } from "../support/helpers.ts";
import { faultyRegions, faultyRegistry, watchedRegions } from "../support/status.ts";

/** The status documents as anyone fetches them: signed, public, cacheable (draft-ietf-oauth-status-list §8.1, §8.2). */
async function verified(res: Response, typ: string) {
  const jwks = createLocalJWKSet((await (await call("/.well-known/jwks.json")).json()) as never);
  return (await jwtVerify(await res.text(), jwks, { typ, issuer: ORIGIN, algorithms: ["EdDSA", "ES256"] })).payload;
}

describe("GET /oauth/status-lists/:list", () => {
  it("is a Status List Token: typ statuslist+jwt, sub its URL, iat, exp, ttl, and the token's bit", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const { uri, idx } = claimsOf(token).status!.status_list;
    const path = new URL(uri).pathname;
    const res = await call(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/statuslist+jwt");
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=10");
    const claims = await verified(res, "statuslist+jwt");
    // iat and rev: when the list last changed (s, ms); exp: 300 s after this copy was signed.
    const signedAt = Math.floor(Date.now() / 1000);
    expect(claims).toStrictEqual({
      iss: ORIGIN,
      sub: uri,
      // never after the moment it was signed (another suite moves the registry's clock ahead)
      iat: Math.min(Math.floor((claims.rev as number) / 1000), claims.iat!),
      rev: expect.any(Number),
      exp: expect.any(Number),
      ttl: 10,
      status_list: { bits: 1, lst: expect.stringMatching(/^[A-Za-z0-9_-]+$/) },
    });
    expect(claims.iat!).toBeLessThanOrEqual(signedAt);
    expect(Math.abs(claims.exp! - (signedAt + 300))).toBeLessThanOrEqual(1);
    expect(statusAt(await decodeList(claims.status_list, MAX_STATUS_LIST_BYTES), idx)).toBe(0);

    expect((await post("/oauth/revoke", { token, client_id: client.client_id, client_secret: client.client_secret })).status).toBe(200);
    const after = await verified(await call(path), "statuslist+jwt");
    expect(statusAt(await decodeList(after.status_list, MAX_STATUS_LIST_BYTES), idx)).toBe(1);
  });

  it("404 for a list there is not, or a name that cannot be one", async () => {
    for (const n of ["999999", "400999999", "700000001", "400000000", "0", "007", "1000000000", "na-1", "abc", "1e3", "-1"]) {
      const res = await call(`/oauth/status-lists/${n}`);
      expect([n, res.status, await res.json()]).toStrictEqual([
        n,
        404,
        error(404, "Not Found", "not_found", "There is no status list by this name."),
      ]);
    }
  });
});

describe("what a status-list number costs", () => {
  it("a number that names no list is answered 404 from the isolate's memory after the first time: no KV read, no registry call", async () => {
    const n = String(900_000 + Math.floor(Math.random() * 90_000));
    const names = [n, String(300_000_000 + Number(n))];
    for (const name of names) expect((await call(`/oauth/status-lists/${name}`)).status).toBe(404);
    // KV and the registry failing for it now: asking either would be a 500
    const broken = {
      REVOCATIONS: faulty(env.REVOCATIONS, ["get"], "throw"),
      REGISTRY: faultyRegistry(["statusListDocument"]),
      STATUS_REGIONS: faultyRegions(["statusListDocument"], "throw"),
    };
    for (let i = 0; i < 6; i++) {
      const res = await call(`/oauth/status-lists/${names[i % 2]}`, {}, broken);
      expect([res.status, await res.json()]).toStrictEqual([
        404,
        error(404, "Not Found", "not_found", "There is no status list by this name."),
      ]);
    }
  });

  it("numbers outside what a list's owner has are answered 404 without KV or the owner, however many different ones are asked", async () => {
    await tokenFor(await createApplicationKey()); // North America's object has lists
    const first = await call("/oauth/status-lists/499999990"); // asks KV and the owner once: it learns the numbers na's lists have
    expect(first.status).toBe(404);
    const broken = {
      REVOCATIONS: faulty(env.REVOCATIONS, ["get"], "throw"),
      STATUS_REGIONS: faultyRegions(["statusListDocument"], "throw"),
    };
    for (let i = 0; i < 20; i++) {
      const n = 499_999_000 + i; // each a number never asked before, far above na's newest list
      const res = await call(`/oauth/status-lists/${n}`, {}, broken);
      expect([n, res.status]).toStrictEqual([n, 404]);
    }
  });

  it("a flood of new numbers at once costs one ask of their owner, not one each", async () => {
    const calls: string[] = [];
    const counting = watchedRegions(calls);
    // Oceania's object, which no test here issues from: 50 numbers never asked, all at once
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(`/oauth/status-lists/${500_000_100 + i}`, {}, { STATUS_REGIONS: counting })),
    );
    expect(answers.map((r) => r.status)).toStrictEqual(Array(50).fill(404));
    expect(calls.filter((c) => c.endsWith(".statusListDocument"))).toStrictEqual(["oc.statusListDocument"]);
  });

  it("the aggregation is kept for its ttl: one KV list, however many ask", async () => {
    const first = await call("/oauth/status-lists");
    expect(first.status).toBe(200);
    const body = await first.text();
    const broken = { REVOCATIONS: faulty(env.REVOCATIONS, ["list"], "throw") };
    const again = await call("/oauth/status-lists", {}, broken);
    expect([again.status, await again.text()]).toStrictEqual([200, body]);
  });
});

describe("GET /oauth/status-lists", () => {
  it("lists every list still published (§9.3), the one a new token names among them", async () => {
    const token = await tokenFor(await createApplicationKey());
    const res = await call("/oauth/status-lists");
    expect([res.status, res.headers.get("Content-Type"), res.headers.get("Cache-Control")]).toStrictEqual([
      200,
      "application/json",
      "public, max-age=10",
    ]);
    const { status_lists } = (await res.json()) as { status_lists: string[] };
    expect(status_lists).toContain(claimsOf(token).status!.status_list.uri);
    for (const uri of status_lists) expect(uri).toMatch(/^https:\/\/auth\.example\/oauth\/status-lists\/[1-9]\d{0,8}$/);
  });
});

describe("GET /oauth/cutoffs", () => {
  it("is the cut-offs document, signed: a narrowed key's version and time, nothing keyed by a token of its own", async () => {
    const client = await createApplicationKey();
    expect((await registry(env).update({ kind: "operator", actor: "test" }, client.id, { scope: "read" })).ok).toBe(true);
    const res = await call("/oauth/cutoffs");
    expect([res.status, res.headers.get("Content-Type"), res.headers.get("Cache-Control")]).toStrictEqual([
      200,
      "application/jwt",
      "public, max-age=10",
    ]);
    const claims = await verified(res, "cutoffs+jwt");
    expect(claims).toMatchObject({ iss: ORIGIN, sub: `${ORIGIN}/oauth/cutoffs`, rev: expect.any(Number), ttl: 10 });
    expect(claims.iat).toBe(Math.min(Math.floor((claims.rev as number) / 1000), Math.floor(Date.now() / 1000)));
    expect(Math.abs(claims.exp! - (Math.floor(Date.now() / 1000) + 300))).toBeLessThanOrEqual(1);
    const { clients, tokens } = claims.cutoffs as { clients: Record<string, { v: number; t: number }>; tokens: Record<string, number> };
    expect(clients[client.client_id]!.v).toBe(2);
    expect(typeof tokens).toBe("object");
  });
});
