import { decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createAdmin, createApplicationKey, error, post, tokenFor } from "../support/helpers.ts";

/**
 * /v2/signing-keys (docs/rotation.md): the signing keys as key managers holding signing_keys
 * see and rotate them. Storage of its own: its rotations revoke every token other suites hold.
 */
const ROTATE = "/v2/signing-keys/rotate";
let manager: { client_id: string; client_secret: string };

beforeAll(async () => {
  manager = await createApplicationKey("signing manager", { scope: "signing_keys" });
});

const bearer = (token: string, json = false) => ({
  Authorization: `Bearer ${token}`,
  ...(json ? { "Content-Type": "application/json" } : {}),
});
const rotate = async (token: string, data: unknown) =>
  call(ROTATE, { method: "POST", headers: bearer(token, true), body: typeof data === "string" ? data : JSON.stringify({ data }) });
const jwksKids = async () => ((await (await call("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
type Listed = {
  data: { id: string; type: string; kid: string; state: string; activate_at: string | null; revoked: boolean }[];
  meta: { results: { total: number }; rotation: Record<string, unknown> };
};

describe("who may", () => {
  it("no token: 401; a token for the APIs, or one for application keys alone: refused, naming signing_keys", async () => {
    const none = await call("/v2/signing-keys");
    expect([none.status, none.headers.get("WWW-Authenticate")]).toStrictEqual([401, 'Bearer realm="edge-token"']);
    expect(await none.json()).toStrictEqual(error(401, "Unauthorized", "invalid_token", "An access token is required."));

    const apiToken = await tokenFor(await createApplicationKey("api client"));
    for (const path of ["/v2/signing-keys", "/v2/signing-keys/audit"]) {
      const res = await call(path, { headers: bearer(apiToken) });
      expect(res.status).toBe(403);
      expect(await res.json()).toStrictEqual(
        error(403, "Forbidden", "insufficient_scope", "Managing signing keys needs a token with the signing_keys scope."),
      );
    }
    const appKeysOnly = await tokenFor(await createAdmin());
    const res = await rotate(appKeysOnly, { type: "signing_key_rotation", emergency: true });
    expect([res.status, res.headers.get("WWW-Authenticate")]).toStrictEqual([
      403,
      'Bearer realm="edge-token", error="insufficient_scope", scope="signing_keys"',
    ]);
    expect(await res.json()).toStrictEqual(
      error(403, "Forbidden", "insufficient_scope", "Managing signing keys needs a token with the signing_keys scope."),
    );
    expect((await rotate("not.a.token", { type: "signing_key_rotation" })).status).toBe(401);
  });
});

describe("GET /v2/signing-keys", () => {
  it("every key with its state and times, the schedule's settings, and never a private half", async () => {
    const token = await tokenFor(manager);
    const res = await call("/v2/signing-keys", { headers: bearer(token) });
    expect([res.status, res.headers.get("Cache-Control")]).toStrictEqual([200, "no-store"]);
    const text = await res.text();
    const body = JSON.parse(text) as Listed;
    const [active] = await jwksKids();
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ id: active, type: "signing_key", kid: active, alg: "EdDSA", state: "active", origin: "imported" });
    expect(body.meta.rotation).toStrictEqual({ period_days: 30, next_key_lead_seconds: 3600, kek_matches: true });
    expect(text).not.toMatch(/"d"|sealed/);
  });
});

describe("POST /v2/signing-keys/rotate", () => {
  it("refuses a body it cannot take, in the documented shape, changing nothing", async () => {
    const token = await tokenFor(manager);
    const before = await jwksKids();
    for (const [body, detail] of [
      ["{", "The request body is not valid JSON."],
      [JSON.stringify({}), 'The body must be {"data":{"type":"signing_key_rotation",…}}.'],
      [JSON.stringify({ data: [] }), 'The body must be {"data":{"type":"signing_key_rotation",…}}.'],
      [JSON.stringify({ data: { type: "application_key" } }), 'The data type must be "signing_key_rotation".'],
      [JSON.stringify({ data: { type: "signing_key_rotation", kid: "x" } }), 'The attribute "kid" is not one a rotation takes.'],
      [JSON.stringify({ data: { type: "signing_key_rotation", emergency: "yes" } }), 'The attribute "emergency" must be true or false.'],
      [JSON.stringify({ data: { type: "signing_key_rotation", alg: "RS256" } }), 'The attribute "alg" must be "EdDSA" or "ES256".'],
      [JSON.stringify({ data: { type: "signing_key_rotation", alg: "none" } }), 'The attribute "alg" must be "EdDSA" or "ES256".'],
    ] as const) {
      const res = await rotate(token, body);
      expect([body, res.status]).toStrictEqual([body, 400]);
      expect(await res.json()).toStrictEqual(error(400, "Bad Request", "invalid_request", detail));
    }
    const form = await call(ROTATE, { method: "POST", headers: { ...bearer(token), "Content-Type": "text/plain" }, body: "emergency" });
    expect(await form.json()).toStrictEqual(error(400, "Bad Request", "invalid_request", "The request body must be application/json."));
    expect(await jwksKids()).toStrictEqual(before);
  });

  it("scheduled, asked early: a next key in the JWKS that signs nothing yet; asked again, nothing more; another alg replaces it", async () => {
    const token = await tokenFor(manager);
    const [active] = await jwksKids();
    const res = await rotate(token, { type: "signing_key_rotation", emergency: false });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { emergency: boolean; changes: { action: string; kid: string }[]; keys: Listed["data"] } };
    const next = body.data.changes[0]!.kid;
    expect(body.data.changes).toStrictEqual([{ action: "publish", kid: next }]);
    const listed = body.data.keys.find((k) => k.kid === next)!;
    expect(listed.state).toBe("next");
    expect(Math.abs(Date.parse(listed.activate_at!) - (Date.now() + 3_600_000))).toBeLessThan(5_000);
    expect(await jwksKids()).toStrictEqual([active, next]);
    expect(decodeProtectedHeader(await tokenFor(manager)).kid).toBe(active);

    const again = (await (await rotate(token, { type: "signing_key_rotation" })).json()) as typeof body;
    expect(again.data.changes).toStrictEqual([]);

    const es = (await (await rotate(token, { type: "signing_key_rotation", alg: "ES256" })).json()) as typeof body;
    const es256 = es.data.changes.find((c) => c.action === "publish")!.kid;
    expect(es.data.changes).toStrictEqual([
      { action: "remove", kid: next },
      { action: "publish", kid: es256 },
    ]);
    const jwks = ((await (await call("/.well-known/jwks.json")).json()) as { keys: { kid: string; alg: string }[] }).keys;
    expect(jwks.map((k) => [k.kid, k.alg])).toStrictEqual([
      [active, "EdDSA"],
      [es256, "ES256"],
    ]);
  });

  it("emergency: a new key signs at once, every other leaves the JWKS, and every token they signed is refused", async () => {
    const client = await createApplicationKey("holder");
    const issued = await tokenFor(client);
    const token = await tokenFor(manager);
    const old = await jwksKids();
    const res = await rotate(token, { type: "signing_key_rotation", emergency: true });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: { emergency: boolean; changes: { action: string; kid: string }[] } };
    const made = data.changes.at(-1)!;
    expect(data.emergency).toBe(true);
    expect(data.changes.slice(0, -1).sort(byKid)).toStrictEqual(old.map((kid) => ({ action: "revoke", kid })).sort(byKid));
    expect(made.action).toBe("create");
    expect(await jwksKids()).toStrictEqual([made.kid]);
    // Introspection and every use of the old tokens, the manager's own among them.
    const introspected = await post("/oauth/introspect", {
      token: issued,
      client_id: client.client_id,
      client_secret: client.client_secret,
    });
    expect(await introspected.json()).toStrictEqual({ active: false });
    expect((await call("/v2/signing-keys", { headers: bearer(token) })).status).toBe(401);
    const fresh = await tokenFor(manager);
    expect(decodeProtectedHeader(fresh).kid).toBe(made.kid);
    const listed = (await (await call("/v2/signing-keys", { headers: bearer(fresh) })).json()) as Listed;
    expect(
      listed.data
        .filter((k) => k.revoked)
        .map((k) => k.kid)
        .sort(),
    ).toStrictEqual([...old].sort());
    expect(listed.data.filter((k) => k.state !== "retired").map((k) => k.kid)).toStrictEqual([made.kid]);
  });
});

describe("GET /v2/signing-keys/audit", () => {
  it("every step, oldest first, with who asked: the first use's import, then this suite's rotations by the manager's client_id", async () => {
    const token = await tokenFor(manager);
    const res = await call("/v2/signing-keys/audit", { headers: bearer(token) });
    expect(res.status).toBe(200);
    const { data, meta } = (await res.json()) as {
      data: { id: string; type: string; actor: string; action: string; from: string | null; to: string; at: string }[];
      meta: { results: { total: number } };
    };
    expect(data.map((e) => [e.type, e.actor, e.action, e.from, e.to])).toStrictEqual([
      ["signing_key_event", "first use", "import", null, "active"],
      ["signing_key_event", manager.client_id, "publish", null, "next"],
      ["signing_key_event", manager.client_id, "remove", "next", "retired"],
      ["signing_key_event", manager.client_id, "publish", null, "next"],
      ...[0, 1].map(() => ["signing_key_event", manager.client_id, "revoke", expect.any(String), "retired"]),
      ["signing_key_event", manager.client_id, "create", null, "active"],
    ]);
    expect(meta.results.total).toBe(7);
    expect(data.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
    const page = (await (await call("/v2/signing-keys/audit?page[limit]=2&page[offset]=6", { headers: bearer(token) })).json()) as {
      data: { action: string }[];
    };
    expect(page.data.map((e) => e.action)).toStrictEqual(["create"]);
  });
});

const byKid = (a: { kid: string }, b: { kid: string }) => a.kid.localeCompare(b.kid);
