import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, createAdmin, error, tokenFor } from "../support/helpers.ts";

/** The registry's audit trail of key changes, and the one-time bootstrap of a deployment's first key. */
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const KEYS = "/v2/application-keys";
const send = (bearer: string, path: string, method = "GET", data?: Record<string, unknown>) =>
  call(path, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, ...(data ? { "Content-Type": "application/json" } : {}) },
    ...(data ? { body: JSON.stringify({ data: { type: "application_key", ...data } }) } : {}),
  });

describe("the audit trail", () => {
  it("records every create, rename, permission change and delete: actor, time, action, the key before and after", async () => {
    const operator = await createAdmin();
    const bearer = await tokenFor(operator);
    const made = ((await (await send(bearer, KEYS, "POST", { name: "tracked", scope: "read write" })).json()) as { data: { id: string } })
      .data;
    await send(bearer, `${KEYS}/${made.id}`, "PUT", { name: "renamed" });
    await send(bearer, `${KEYS}/${made.id}`, "PUT", { scope: "read", token_quota: { per_day: 100 } });
    await send(bearer, `${KEYS}/${made.id}`, "DELETE");

    const res = await send(bearer, `${KEYS}/audit?filter[key_id]=${made.id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Record<string, unknown>[]; meta: { results: { total: number } } };
    const at = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);
    const how = { token_endpoint_auth_method: "client_secret_basic", dpop_bound_access_tokens: false };
    const before = { name: "tracked", scope: "read write", grant_types: ["client_credentials", "implicit"], ...how };
    expect(body.data.map(({ id: _, ...e }) => e)).toStrictEqual([
      { type: "audit_entry", at, actor: operator.client_id, action: "create", key_id: made.id, old: null, new: before },
      {
        type: "audit_entry",
        at,
        actor: operator.client_id,
        action: "rename",
        key_id: made.id,
        old: before,
        new: { ...before, name: "renamed" },
      },
      {
        type: "audit_entry",
        at,
        actor: operator.client_id,
        action: "update",
        key_id: made.id,
        old: { ...before, name: "renamed" },
        new: { name: "renamed", scope: "read", grant_types: before.grant_types, token_quota: { per_day: 100 }, ...how },
      },
      {
        type: "audit_entry",
        at,
        actor: operator.client_id,
        action: "delete",
        key_id: made.id,
        old: { name: "renamed", scope: "read", grant_types: before.grant_types, token_quota: { per_day: 100 }, ...how },
        new: null,
      },
    ]);
    expect(body.meta.results.total).toBe(4);
    // paginated like the key listing, oldest first
    const second = (await (await send(bearer, `${KEYS}/audit?filter[key_id]=${made.id}&page[limit]=2&page[offset]=2`)).json()) as {
      data: { action: string }[];
      meta: unknown;
    };
    expect([second.data.map((e) => e.action), second.meta]).toStrictEqual([
      ["update", "delete"],
      { page: { limit: 2, offset: 2, current: 2, total: 2 }, results: { total: 4 } },
    ]);
  });

  it("is for key managers, and refuses a filter that is not one key id", async () => {
    const bearer = await tokenFor(await createAdmin());
    for (const query of ["filter[key_id]=nope", "filter[key_id]=a&filter[key_id]=b"]) {
      const res = await send(bearer, `${KEYS}/audit?${query}`);
      expect(await res.json()).toStrictEqual(
        error(400, "Bad Request", "invalid_request", 'The parameter "filter[key_id]" must be one application key id.'),
      );
    }
    const apiToken = await tokenFor(await createAdmin("api"), "implicit");
    expect((await send(apiToken, `${KEYS}/audit`)).status).toBe(403);
    expect((await call(`${KEYS}/audit`)).status).toBe(401);
  });

  it("keeps entries AUDIT_RETENTION_DAYS (90 by default), and drops older ones as it goes", async () => {
    const bearer = await tokenFor(await createAdmin());
    const old = ((await (await send(bearer, KEYS, "POST", { name: "old" })).json()) as { data: { id: string } }).data;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 89 * 86_400_000);
    const trail = async (bearer: string) =>
      ((await (await send(bearer, `${KEYS}/audit?filter[key_id]=${old.id}`)).json()) as { data: unknown[] }).data;
    expect(await trail(await tokenFor(await createAdmin("later")))).toHaveLength(1);
    vi.setSystemTime(Date.now() + 2 * 86_400_000);
    const later = await tokenFor(await createAdmin("much later")); // a change purges what is past the retention
    expect(await trail(later)).toHaveLength(0);
  });
});

describe("the first key of a deployment", () => {
  const SECRET = "b".repeat(43);
  const withBootstrap = async () => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(SECRET)));
    return {
      BOOTSTRAP_SECRET_HASH: btoa(String.fromCharCode(...digest))
        .replaceAll("+", "-")
        .replaceAll("/", "_")
        .replace(/=+$/, ""),
    };
  };
  const bootstrap = async (secret: string) =>
    call(
      KEYS,
      {
        method: "POST",
        headers: { Authorization: `Bootstrap ${secret}`, "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "application_key", name: "Admin", scope: "read write application_keys" } }),
      },
      await withBootstrap(),
    );

  it("the bootstrap secret creates keys only while the registry holds none, and nothing else", async () => {
    // This file's registry holds keys already: the secret is spent.
    await createAdmin();
    const spent = await bootstrap(SECRET);
    expect([spent.status, ((await spent.json()) as { errors: { code: string }[] }).errors[0]!.code]).toStrictEqual([409, "conflict"]);
    // A wrong secret, or the right one where no hash is set, or on any other route: the usual 401.
    expect((await bootstrap("c".repeat(43))).status).toBe(401);
    const unset = await call(KEYS, {
      method: "POST",
      headers: { Authorization: `Bootstrap ${SECRET}`, "Content-Type": "application/json" },
      body: JSON.stringify({ data: { type: "application_key", name: "x" } }),
    });
    expect(unset.status).toBe(401);
    expect((await call(KEYS, { headers: { Authorization: `Bootstrap ${SECRET}` } }, await withBootstrap())).status).toBe(401);
    expect(env.BOOTSTRAP_SECRET_HASH).toBe("");
  });
});
