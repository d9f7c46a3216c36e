import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { newApplicationKey } from "../../src/store/application-keys.ts";
import { call, createAdmin, issueAt, nowSeconds, post, tokenFor } from "../support/helpers.ts";
import { jsonIn } from "../support/kv-values.ts";

/**
 * Keys that versions before the registry wrote straight into KV are taken into the registry on
 * its first use, with the permissions they had. This file writes them before anything touches
 * the registry (storage is per test file).
 */
const KEYS = "/v2/application-keys";
const PLAIN = { scope: "read write", grant_types: ["client_credentials", "implicit"], created_by: "cli" };

async function legacyKey(name: string, o: { scoped?: boolean; labelled?: boolean } = {}) {
  const { record, clientSecret } = await newApplicationKey({ name, ...PLAIN });
  const stored = o.scoped ? record : (({ scope: _s, grant_types: _g, created_by: _c, ...rest }) => rest)(record);
  await env.CLIENTS.put(`appkey:${record.id}`, record.client_id, o.labelled === false ? {} : { metadata: { client_id: record.client_id } });
  await env.CLIENTS.put(`client:${record.client_id}`, JSON.stringify(stored));
  return { ...record, client_secret: clientSecret };
}

/** Tokens an earlier version issued (no status claim, no key_version), one of them revoked the way it revoked: a jti: key. */
let earlier: { live: string; revoked: string; revokedJti: string };
beforeAll(async () => {
  const holder = await legacyKey("holder of tokens from before status lists", { scoped: true });
  const live = await issueAt(holder, nowSeconds());
  const revoked = await issueAt(holder, nowSeconds());
  await env.REVOCATIONS.put(`jti:${revoked.claims.jti}`, JSON.stringify({ client_id: holder.client_id, revoked_at: nowSeconds() }), {
    expiration: revoked.claims.exp + 30,
  });
  earlier = { live: live.token, revoked: revoked.token, revokedJti: revoked.claims.jti };
});

describe("keys from before the registry", () => {
  it("are imported on first use: live ones listed with their permissions, deleted ones staying deleted", async () => {
    const old = await legacyKey("from before scopes");
    const scoped = await legacyKey("scoped", { scoped: true, labelled: false });
    const narrowed = await legacyKey("narrowed", { scoped: true });
    await env.REVOCATIONS.put(`client:${narrowed.client_id}`, "1700000000");
    const gone = await legacyKey("deleted", { scoped: true });
    // what an earlier deletion left: the tombstone and the revocation, the record and index gone
    await env.CLIENTS.put(`deleted:${gone.client_id}`, JSON.stringify({ id: gone.id, deleted_at: "2026-01-01T00:00:00.000Z" }));
    await env.CLIENTS.delete(`client:${gone.client_id}`);
    await env.CLIENTS.delete(`appkey:${gone.id}`);
    await env.REVOCATIONS.put(`client:${gone.client_id}`, "253402300799");

    const admin = await tokenFor(await createAdmin()); // the registry's first use
    const auth = { headers: { Authorization: `Bearer ${admin}` } };
    const list = (await (await call(`${KEYS}?page[limit]=100`, auth)).json()) as { data: any[]; meta: { results: { total: number } } };
    expect(list.data.map((k) => k.name)).toStrictEqual([
      "holder of tokens from before status lists",
      "from before scopes",
      "scoped",
      "narrowed",
      "operator",
    ]);
    expect(list.meta.results.total).toBe(5);
    expect(list.data[1]).toMatchObject({
      id: old.id,
      scope: "read write application_keys",
      grant_types: ["client_credentials", "implicit"],
      meta: { legacy_permissions: true },
    });
    expect(list.data[2]).toMatchObject({ id: scoped.id, scope: "read write" });
    // Its tokens carry the powers it had: every scope for its backend, the public ones for a browser.
    const cc = await post("/oauth/access_token", {
      grant_type: "client_credentials",
      client_id: old.client_id,
      client_secret: old.client_secret!,
    });
    expect(((await cc.json()) as { scope: string }).scope).toBe("read write application_keys");
    const implicit = await post("/oauth/access_token", { grant_type: "implicit", client_id: old.client_id });
    expect(((await implicit.json()) as { scope: string }).scope).toBe("read");
    expect((await call(`${KEYS}/${gone.id}`, auth)).status).toBe(404);

    // A revocation the import found is only ever raised: the deleted key's stays "every token".
    expect((await call(`${KEYS}/${gone.id}`, { method: "DELETE", ...auth })).status).toBe(404);
    expect(await env.REVOCATIONS.get(`client:${gone.client_id}`)).toBe("253402300799");
    // The imported keys are managed like any other: a rename writes the legacy powers out in full.
    const renamed = await call(`${KEYS}/${old.id}`, {
      method: "PUT",
      headers: { ...auth.headers, "Content-Type": "application/json" },
      body: JSON.stringify({ data: { type: "application_key", name: "renamed" } }),
    });
    expect(((await renamed.json()) as { data: unknown }).data).toMatchObject({ name: "renamed", scope: "read write application_keys" });
    expect(await jsonIn(env.CLIENTS, `client:${old.client_id}`)).toMatchObject({
      scope: "read write application_keys",
      version: 2,
    });
    expect((await post("/oauth/access_token", { grant_type: "implicit", client_id: old.client_id })).status).toBe(200);
  });

  it("tokens from before status lists keep working, and the ones revoked then stay revoked", async () => {
    const rpc = new TokenVerifier(createExecutionContext(), env);
    expect((await rpc.verify(earlier.live, { method: "GET" })).valid).toBe(true);
    expect(await rpc.verify(earlier.revoked, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "revoked" });
    // taken into the cut-offs document, which every verifier reads, once, on the registry's first use
    const cutoffs = (await jsonIn<{ tokens: Record<string, number> }>(env.REVOCATIONS, "cutoffs"))!;
    expect(Object.keys(cutoffs.tokens)).toContain(earlier.revokedJti);
  });
});
