import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { hashSecret } from "../../src/store/application-keys.ts";
import { basic, call, claimsOf, createAdmin, createApplicationKey, error, errorBody, post, tokenFor } from "../support/helpers.ts";
import { jsonIn } from "../support/kv-values.ts";
import { clientKey } from "../support/possession.ts";

/**
 * POST /v2/application-keys/:id/secret: a key's secret replaced without downtime (the old one
 * authenticating beside the new for a while), or at once with every token the key holds revoked
 * (a leaked secret). Written as the attacks on it: an old secret that outlives its time, a third
 * secret kept alive by a second rotation, a leaked secret's tokens that live on, a narrower
 * manager taking a key's secret, and a body that makes it answer 500.
 */
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const KEYS = "/v2/application-keys";
const INVALID_CLIENT = error(401, "Unauthorized", "invalid_client", "Client authentication failed.");

type Resource = Record<string, unknown> & { id: string; client_id: string; client_secret?: string; previous_secret_expires_at?: string };

function rotate(bearer: string, id: string, body: unknown = { data: { type: "secret_rotation" } }, type = "application/json") {
  return call(`${KEYS}/${id}/secret`, {
    method: "POST",
    headers: { Authorization: `Bearer ${bearer}`, "Content-Type": type },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const keepingOld = (seconds: number) => ({ data: { type: "secret_rotation", attributes: { keep_old_seconds: seconds } } });

/** Rotates with an overlap of `seconds` and answers the new secret and the response's resource. */
async function rotated(bearer: string, id: string, seconds: number): Promise<Resource & { client_secret: string }> {
  const res = await rotate(bearer, id, keepingOld(seconds));
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Resource & { client_secret: string } }).data;
}

const get = async (bearer: string, id: string) =>
  ((await (await call(`${KEYS}/${id}`, { headers: { Authorization: `Bearer ${bearer}` } })).json()) as { data: Resource }).data;

/** The token endpoint's answer to a secret, in the body (secret_post) or as Basic. */
async function tokenStatus(clientId: string, secret: string, how: "post" | "basic" = "post"): Promise<number> {
  const res =
    how === "post"
      ? await post("/oauth/access_token", { grant_type: "client_credentials", client_id: clientId, client_secret: secret })
      : await post("/oauth/access_token", { grant_type: "client_credentials" }, basic(clientId, secret));
  if (res.status === 401) {
    expect(await res.json()).toStrictEqual(INVALID_CLIENT);
    expect(res.headers.get("WWW-Authenticate")).toBe(how === "basic" ? 'Basic realm="edge-token"' : null);
  }
  return res.status;
}

/** Every way a secret authenticates: the token endpoint (post, Basic), introspection and revocation. */
async function everywhere(clientId: string, secret: string): Promise<number[]> {
  const token = await tokenFor(await createApplicationKey("someone else's"));
  return [
    await tokenStatus(clientId, secret, "post"),
    await tokenStatus(clientId, secret, "basic"),
    (await post("/oauth/introspect", { token }, basic(clientId, secret))).status,
    // a live token of another client: 400 unauthorized_client once the caller has authenticated
    (await post("/oauth/revoke", { token, client_id: clientId, client_secret: secret })).status,
  ];
}
const ACCEPTED = [200, 200, 200, 400];
const REFUSED = [401, 401, 401, 401];

const inactive = async (introspector: { client_id: string; client_secret: string }, token: string) =>
  (
    (await (await post("/oauth/introspect", { token }, basic(introspector.client_id, introspector.client_secret))).json()) as {
      active: boolean;
    }
  ).active;
const passes = async (token: string) => (await new TokenVerifier(createExecutionContext(), env).verify(token, { method: "GET" })).valid;

describe("a secret rotated with an overlap", () => {
  it("answers the key as GET shows it, with the new secret (once) and until when the old one lives; both authenticate until then, only the new one after", async () => {
    const bearer = await tokenFor(await createAdmin());
    const key = await createApplicationKey("backend");
    const before = await get(bearer, key.id);
    vi.useFakeTimers({ toFake: ["Date"] });
    const now = Date.now();
    const data = await rotated(bearer, key.id, 60);

    const shown = await get(bearer, key.id);
    const until = new Date(now + 60_000).toISOString();
    expect(data).toStrictEqual({ ...shown, client_secret: data.client_secret });
    expect(shown).toStrictEqual({
      ...before,
      previous_secret_expires_at: until,
      meta: { ...(before.meta as object), timestamps: { created_at: key.created_at, updated_at: new Date(now).toISOString() } },
    });
    expect(data.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(data.client_secret).not.toBe(key.client_secret);
    // the listing shows it too; no answer ever holds a secret's digest
    // every page: other test files share this registry, so the key may be past the first hundred
    const listed: { data: Resource[] } = { data: [] };
    for (let offset = 0; ; offset += 100) {
      const url = `${KEYS}?page[limit]=100&page[offset]=${offset}`;
      const page = (await (await call(url, { headers: { Authorization: `Bearer ${bearer}` } })).json()) as { data: Resource[] };
      listed.data.push(...page.data);
      if (page.data.length < 100) break;
    }
    expect(listed.data.find((k) => k.id === key.id)).toStrictEqual(shown);
    const [oldHash, newHash] = [await hashSecret(key.client_secret), await hashSecret(data.client_secret)];
    for (const text of [JSON.stringify(data), JSON.stringify(listed)]) for (const h of [oldHash, newHash]) expect(text).not.toContain(h);
    // stored as digests, the old one with its time
    expect(await jsonIn(env.CLIENTS, `client:${key.client_id}`)).toMatchObject({
      secret_hash: newHash,
      previous_secret_hash: oldHash,
      previous_secret_expires_at: until,
    });

    expect(await everywhere(key.client_id, key.client_secret)).toStrictEqual(ACCEPTED);
    expect(await everywhere(key.client_id, data.client_secret)).toStrictEqual(ACCEPTED);
    vi.setSystemTime(now + 59_999);
    expect(await tokenStatus(key.client_id, key.client_secret, "basic")).toBe(200);
    vi.setSystemTime(now + 60_000);
    expect(await everywhere(key.client_id, key.client_secret)).toStrictEqual(REFUSED);
    expect(await everywhere(key.client_id, data.client_secret)).toStrictEqual(ACCEPTED);
    // and the key no longer says it has one
    expect((await get(await tokenFor(await createAdmin("later")), key.id)).previous_secret_expires_at).toBeUndefined();
  });

  it("keeps the tokens the key holds: they were had with its own secret", async () => {
    const bearer = await tokenFor(await createAdmin());
    const key = await createApplicationKey("backend");
    const token = await tokenFor(key);
    await rotated(bearer, key.id, 60);
    expect([await passes(token), await inactive(key, token)]).toStrictEqual([true, true]);
  });

  it("a second rotation inside the overlap ends the older secret at once: never more than two", async () => {
    const bearer = await tokenFor(await createAdmin());
    const key = await createApplicationKey("backend");
    vi.useFakeTimers({ toFake: ["Date"] });
    const now = Date.now();
    const first = await rotated(bearer, key.id, 3600);
    vi.setSystemTime(now + 10_000);
    const second = await rotated(bearer, key.id, 60);
    expect(second.previous_secret_expires_at).toBe(new Date(now + 70_000).toISOString());

    expect(await everywhere(key.client_id, key.client_secret)).toStrictEqual(REFUSED);
    expect(await everywhere(key.client_id, first.client_secret)).toStrictEqual(ACCEPTED);
    expect(await everywhere(key.client_id, second.client_secret)).toStrictEqual(ACCEPTED);
    vi.setSystemTime(now + 70_000);
    expect(await tokenStatus(key.client_id, first.client_secret)).toBe(401);
    expect(await tokenStatus(key.client_id, second.client_secret)).toBe(200);
  });

  it("a PUT during the overlap keeps the old secret's time; switching the key to private_key_jwt ends both secrets", async () => {
    const bearer = await tokenFor(await createAdmin());
    const key = await createApplicationKey("backend");
    const data = await rotated(bearer, key.id, 3600);
    const put = (body: Record<string, unknown>) =>
      call(`${KEYS}/${key.id}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "application_key", ...body } }),
      });
    const renamed = (await (await put({ name: "renamed" })).json()) as { data: Resource };
    expect(renamed.data.previous_secret_expires_at).toBe(data.previous_secret_expires_at);
    expect(await tokenStatus(key.client_id, key.client_secret)).toBe(200);

    const k = await clientKey();
    const switched = await put({ token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [k.jwk] } });
    expect(switched.status).toBe(200);
    expect(((await switched.json()) as { data: Resource }).data.previous_secret_expires_at).toBeUndefined();
    expect([await tokenStatus(key.client_id, key.client_secret), await tokenStatus(key.client_id, data.client_secret)]).toStrictEqual([
      401, 401,
    ]);
    const stored = (await jsonIn<Record<string, unknown>>(env.CLIENTS, `client:${key.client_id}`))!;
    expect([stored.secret_hash, stored.previous_secret_hash, stored.previous_secret_expires_at]).toStrictEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe("a secret rotated at once (keep_old_seconds: 0, a leaked secret)", () => {
  it("the old secret is dead at once and every token the key holds is revoked; the key lives on with its new secret", async () => {
    const bearer = await tokenFor(await createAdmin());
    const key = await createApplicationKey("leaked");
    const introspector = await createApplicationKey("introspector");
    const held = [await tokenFor(key), await tokenFor(key, "implicit")];
    for (const t of held) expect([await passes(t), await inactive(introspector, t)]).toStrictEqual([true, true]);

    const res = await rotate(bearer, key.id, keepingOld(0));
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Resource & { client_secret: string } };
    expect(data.previous_secret_expires_at).toBeUndefined();
    expect(data).toStrictEqual({ ...(await get(bearer, key.id)), client_secret: data.client_secret });

    expect(await everywhere(key.client_id, key.client_secret)).toStrictEqual(REFUSED);
    for (const t of held) expect([await passes(t), await inactive(introspector, t)]).toStrictEqual([false, false]);
    // not deleted: the new secret gets tokens, and they live
    const fresh = await tokenFor({ client_id: key.client_id, client_secret: data.client_secret });
    expect([await passes(fresh), await inactive(introspector, fresh)]).toStrictEqual([true, true]);
    expect(claimsOf(fresh).key_version).toBeGreaterThan(claimsOf(held[0]!).key_version!);
  });

  it("during an overlap, ends both earlier secrets and the tokens had with either", async () => {
    const bearer = await tokenFor(await createAdmin());
    const key = await createApplicationKey("leaked twice");
    const first = await rotated(bearer, key.id, 3600);
    const withOld = await tokenFor(key);
    const withFirst = await tokenFor({ client_id: key.client_id, client_secret: first.client_secret });
    const res = await rotate(bearer, key.id, keepingOld(0));
    const { data } = (await res.json()) as { data: Resource & { client_secret: string } };
    expect([await tokenStatus(key.client_id, key.client_secret), await tokenStatus(key.client_id, first.client_secret)]).toStrictEqual([
      401, 401,
    ]);
    expect(await tokenStatus(key.client_id, data.client_secret)).toBe(200);
    expect([await passes(withOld), await passes(withFirst)]).toStrictEqual([false, false]);
  });
});

describe("who may rotate, and what", () => {
  it("409 for a key that holds no secret (private_key_jwt): its keys rotate by replacing jwks", async () => {
    const bearer = await tokenFor(await createAdmin());
    const k = await clientKey();
    const key = await createApplicationKey("machine", { token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [k.jwk as never] } });
    const res = await rotate(bearer, key.id, keepingOld(0));
    expect(res.status).toBe(409);
    expect(await res.json()).toStrictEqual(
      error(
        409,
        "Conflict",
        "conflict",
        "This key holds no secret: it proves itself with private_key_jwt, and its keys rotate by replacing its jwks (PUT the new key beside the old one, then the set without it).",
      ),
    );
  });

  it("a manager whose token lacks some of the key's scope cannot take its secret (403); one holding all of it can", async () => {
    const narrow = await createApplicationKey("read-only manager", { scope: "read application_keys", grant_types: ["client_credentials"] });
    const bearer = await tokenFor(narrow);
    const writer = await createApplicationKey("writer", { scope: "read write" });
    const res = await rotate(bearer, writer.id, keepingOld(0));
    expect(res.status).toBe(403);
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="edge-token", error="insufficient_scope", scope="read write"');
    expect(await res.json()).toStrictEqual(
      error(
        403,
        "Forbidden",
        "insufficient_scope",
        "Changing or deleting this key needs a token that holds all of its current scope; this one lacks: write.",
      ),
    );
    expect(await tokenStatus(writer.client_id, writer.client_secret)).toBe(200); // nothing changed
    // a key with an implicit grant needs a client_credentials token (it covers both): this one is
    const reader = await createApplicationKey("reader", { scope: "read" });
    expect((await rotate(bearer, reader.id, keepingOld(60))).status).toBe(200);
  });

  it("needs a live key-management token: 401 without one or with a revoked one, 403 for an API token, 404 for an unknown key", async () => {
    const admin = await createAdmin();
    const key = await createApplicationKey("target");
    const apiToken = await tokenFor(admin, "client_credentials", { scope: "read write" });
    const forbidden = await rotate(apiToken, key.id);
    expect([forbidden.status, (await errorBody(forbidden)).errors[0]!.code]).toStrictEqual([403, "insufficient_scope"]);
    expect((await call(`${KEYS}/${key.id}/secret`, { method: "POST", body: "{}" })).status).toBe(401);
    const bearer = await tokenFor(admin);
    expect((await rotate(bearer, "0190f000-0000-7000-8000-000000000000")).status).toBe(404);
    expect((await post("/oauth/revoke", { token: bearer }, { Authorization: `Bearer ${bearer}` })).status).toBe(200);
    const revoked = await rotate(bearer, key.id);
    expect([revoked.status, (await errorBody(revoked)).errors[0]!.code]).toStrictEqual([401, "invalid_token"]);
    expect(await tokenStatus(key.client_id, key.client_secret)).toBe(200);
  });

  it("a key may rotate its own secret; at once, its own token goes with the rest", async () => {
    const admin = await createAdmin("self");
    const bearer = await tokenFor(admin);
    const res = await rotate(bearer, admin.id, keepingOld(0));
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Resource & { client_secret: string } };
    expect((await call(KEYS, { headers: { Authorization: `Bearer ${bearer}` } })).status).toBe(401);
    const again = await tokenFor({ client_id: admin.client_id, client_secret: data.client_secret });
    expect((await call(KEYS, { headers: { Authorization: `Bearer ${again}` } })).status).toBe(200);
  });
});

describe("the body", () => {
  const SHAPE = 'The body must be {"data":{"type":"secret_rotation","attributes":{"keep_old_seconds":86400}}}.';
  const TYPE = 'The field "data.type" must be "secret_rotation".';
  const DATA = 'The field "data" holds only "type" and "attributes".';
  const ATTRIBUTES = 'The field "data.attributes" must be an object holding only "keep_old_seconds".';
  const SECONDS = 'The field "data.attributes.keep_old_seconds" must be a whole number of seconds from 0 to 604800 (7 days).';
  const with_ = (attributes: unknown) => JSON.stringify({ data: { type: "secret_rotation", attributes } });
  const bad: [string, string, string, string?][] = [
    ["not JSON", '{"data":', "The request body is not valid JSON."],
    ["empty", "", "The request body is not valid JSON."],
    ["a form", "keep_old_seconds=0", "The request body must be application/json.", "application/x-www-form-urlencoded"],
    ["null", "null", SHAPE],
    ["an array", "[]", SHAPE],
    ["a string", '"rotate"', SHAPE],
    ["no data", "{}", SHAPE],
    ["data an array", '{"data":[]}', SHAPE],
    ["data null", '{"data":null}', SHAPE],
    ["a member beside data", JSON.stringify({ data: { type: "secret_rotation" }, meta: {} }), SHAPE],
    ["no type", '{"data":{}}', TYPE],
    ["another type", '{"data":{"type":"application_key"}}', TYPE],
    ["an attribute outside attributes", '{"data":{"type":"secret_rotation","keep_old_seconds":0}}', DATA],
    ["an id", '{"data":{"type":"secret_rotation","id":"x"}}', DATA],
    ["attributes null", with_(null), ATTRIBUTES],
    ["attributes an array", with_([0]), ATTRIBUTES],
    ["attributes a number", with_(0), ATTRIBUTES],
    ["an unknown attribute", with_({ keep_old_seconds: 0, revoke: true }), ATTRIBUTES],
    ["__proto__", '{"data":{"type":"secret_rotation","attributes":{"__proto__":{"keep_old_seconds":0}}}}', ATTRIBUTES],
    ["negative", with_({ keep_old_seconds: -1 }), SECONDS],
    ["past the most", with_({ keep_old_seconds: 604_801 }), SECONDS],
    ["a fraction", with_({ keep_old_seconds: 1.5 }), SECONDS],
    ["a string", with_({ keep_old_seconds: "60" }), SECONDS],
    ["null", with_({ keep_old_seconds: null }), SECONDS],
    ["true", with_({ keep_old_seconds: true }), SECONDS],
    ["infinite", '{"data":{"type":"secret_rotation","attributes":{"keep_old_seconds":1e400}}}', SECONDS],
    ["huge", with_({ keep_old_seconds: 2 ** 63 }), SECONDS],
  ];
  for (const [name, body, detail, type] of bad) {
    it(`400, nothing changed: ${name}`, async () => {
      const bearer = await tokenFor(await createAdmin());
      const key = await createApplicationKey("target");
      const res = await rotate(bearer, key.id, body, type);
      expect(res.status).toBe(400);
      expect(await res.json()).toStrictEqual(error(400, "Bad Request", "invalid_request", detail));
      expect(await tokenStatus(key.client_id, key.client_secret)).toBe(200);
    });
  }

  it("attributes and keep_old_seconds may be left out: a day; 0 and 604800 are taken; a JSON:API media type too", async () => {
    const bearer = await tokenFor(await createAdmin());
    const key = await createApplicationKey("target");
    vi.useFakeTimers({ toFake: ["Date"] });
    const now = Date.now();
    const after = (seconds: number) => new Date(now + seconds * 1000).toISOString();
    for (const [body, seconds] of [
      [{ data: { type: "secret_rotation" } }, 86_400],
      [{ data: { type: "secret_rotation", attributes: {} } }, 86_400],
      [keepingOld(604_800), 604_800],
      [keepingOld(1), 1],
    ] as const) {
      const res = await rotate(bearer, key.id, body, "application/vnd.api+json");
      expect(((await res.json()) as { data: Resource }).data.previous_secret_expires_at).toBe(after(seconds));
    }
    const res = await rotate(bearer, key.id, '{"data":{"type":"secret_rotation","attributes":{"keep_old_seconds":-0}}}');
    expect([res.status, ((await res.json()) as { data: Resource }).data.previous_secret_expires_at]).toStrictEqual([200, undefined]);
  });
});

describe("the audit trail", () => {
  it("rotate_secret: who, when, and until when the old secret lives; never a secret or its digest, in the trail or on the log line", async () => {
    const operator = await createAdmin();
    const bearer = await tokenFor(operator);
    const key = await createApplicationKey("audited");
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args) => void lines.push(args.map(String).join(" ")));
    vi.useFakeTimers({ toFake: ["Date"] });
    const now = Date.now();
    const first = await rotated(bearer, key.id, 600);
    vi.setSystemTime(now + 1000);
    const second = (await (await rotate(bearer, key.id, keepingOld(0))).json()) as { data: { client_secret: string } };
    vi.restoreAllMocks();

    const res = await call(`${KEYS}/audit?filter[key_id]=${key.id}`, { headers: { Authorization: `Bearer ${bearer}` } });
    const body = (await res.json()) as { data: Record<string, unknown>[] };
    const how = { token_endpoint_auth_method: "client_secret_basic", dpop_bound_access_tokens: false };
    const snapshot = { name: "audited", scope: "read write", grant_types: ["client_credentials", "implicit"], ...how };
    const [at1, at2, until1] = [new Date(now).toISOString(), new Date(now + 1000).toISOString(), new Date(now + 600_000).toISOString()];
    expect(body.data.slice(1).map(({ id: _, ...e }) => e)).toStrictEqual([
      {
        type: "audit_entry",
        at: at1,
        actor: operator.client_id,
        action: "rotate_secret",
        key_id: key.id,
        old: snapshot,
        new: { ...snapshot, previous_secret_expires_at: until1 },
      },
      {
        type: "audit_entry",
        at: at2,
        actor: operator.client_id,
        action: "rotate_secret",
        key_id: key.id,
        // the first rotation's old secret was still alive; the second ended it, and its own old one, at once
        old: { ...snapshot, previous_secret_expires_at: until1 },
        new: { ...snapshot, previous_secret_expires_at: at2 },
      },
    ]);

    const logged = lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as { path?: string; audit?: unknown }];
      } catch {
        return [];
      }
    });
    expect(logged.filter((l) => l.path === `${KEYS}/${key.id}/secret`).map((l) => l.audit)).toStrictEqual([
      {
        actor: operator.client_id,
        action: "rotate_secret",
        key_id: key.id,
        old_scope: "read write",
        new_scope: "read write",
        previous_secret_expires_at: until1,
      },
      {
        actor: operator.client_id,
        action: "rotate_secret",
        key_id: key.id,
        old_scope: "read write",
        new_scope: "read write",
        previous_secret_expires_at: at2,
      },
    ]);
    const secrets = [key.client_secret, first.client_secret, second.data.client_secret];
    const digests = await Promise.all(secrets.map(hashSecret));
    for (const text of [JSON.stringify(body), lines.join("\n")]) for (const s of [...secrets, ...digests]) expect(text).not.toContain(s);
  });
});
