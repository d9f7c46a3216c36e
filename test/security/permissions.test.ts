import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/config/settings.ts";
import { TokenVerifier } from "../../src/index.ts";
import { call, claimsOf, createAdmin, createApplicationKey, error, post } from "../support/helpers.ts";

/**
 * Least privilege: a key may do what its scope and grant types say, tokens carry the granted
 * set, key management is the application_keys scope, and nobody grants more than they hold.
 */
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const TOKEN = "/oauth/access_token";
const KEYS = "/v2/application-keys";
const BOTH = ["client_credentials", "implicit"];

type Creds = { client_id: string; client_secret: string };
const cc = (c: Creds, extra: Record<string, string> = {}) => ({
  grant_type: "client_credentials",
  client_id: c.client_id,
  client_secret: c.client_secret,
  ...extra,
});
const implicit = (c: { client_id: string }, extra: Record<string, string> = {}) => ({
  grant_type: "implicit",
  client_id: c.client_id,
  ...extra,
});

async function tokenOf(params: Record<string, string>, overrides: Partial<Env> = {}) {
  const res = await post(TOKEN, params, {}, overrides);
  const body = (await res.json()) as Record<string, any>;
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

function api(path: string, token: string, init: { method?: string; body?: unknown } = {}) {
  return call(path, {
    method: init.method ?? "GET",
    headers: { Authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}
const key = (attrs: Record<string, unknown>) => ({ data: { type: "application_key", ...attrs } });

describe("the scope vocabulary", () => {
  it("metadata lists SCOPES, in their configured order", async () => {
    const body = (await (
      await call("/.well-known/oauth-authorization-server", {}, { SCOPES: "orders:read read  write application_keys" })
    ).json()) as any;
    expect(body.scopes_supported).toStrictEqual(["orders:read", "read", "write", "application_keys"]);
  });

  const bad: [string, Partial<Env>, string][] = [
    [
      "an unknown default grant",
      { DEFAULT_GRANT_TYPES: "client_credentials password" },
      'DEFAULT_GRANT_TYPES must be "client_credentials", "implicit" or both, space-delimited',
    ],
    [
      "no default grant",
      { DEFAULT_GRANT_TYPES: " , " },
      'DEFAULT_GRANT_TYPES must be "client_credentials", "implicit" or both, space-delimited',
    ],
    ["a bad scope-token", { SCOPES: 'read "write"' }, 'SCOPES must be space-delimited scope-tokens (RFC 6749 §3.3); ""write"" is not one'],
    [
      "a public scope outside SCOPES",
      { PUBLIC_SCOPES: "read catalog" },
      'PUBLIC_SCOPES must be a subset of SCOPES: "catalog" is not in SCOPES',
    ],
    [
      "a default scope outside SCOPES",
      { DEFAULT_SCOPE: "read admin" },
      'DEFAULT_SCOPE must be a subset of SCOPES: "admin" is not in SCOPES',
    ],
    [
      "key management for browsers",
      { PUBLIC_SCOPES: "read application_keys" },
      "PUBLIC_SCOPES must not contain application_keys: browser code would hold the right to manage the service",
    ],
    [
      "signing-key management for browsers",
      { PUBLIC_SCOPES: "read signing_keys" },
      "PUBLIC_SCOPES must not contain signing_keys: browser code would hold the right to manage the service",
    ],
    [
      "a relative resource",
      { RESOURCES: "https://orders.example /reports" },
      'RESOURCES must be absolute URIs without a fragment; "/reports" is not one',
    ],
    [
      "a resource with a fragment",
      { RESOURCES: "https://orders.example#x" },
      'RESOURCES must be absolute URIs without a fragment; "https://orders.example#x" is not one',
    ],
  ];
  for (const [name, overrides, message] of bad) {
    it(`is a configuration error with ${name}: 500, the setting named in the log`, async () => {
      const logged: string[] = [];
      vi.spyOn(console, "error").mockImplementation((line: unknown) => void logged.push(String(line)));
      const res = await call("/.well-known/oauth-authorization-server", {}, overrides);
      expect(res.status).toBe(500);
      expect(JSON.parse(logged[0]!).error).toStrictEqual({ name: "ConfigError", message });
    });
  }
});

describe("keys carry scope and grant_types", () => {
  it("created with just type and name, a key gets DEFAULT_SCOPE and both grants; with them, what it names", async () => {
    const admin = await createAdmin();
    const token = (await tokenOf(cc(admin))).access_token;
    const plain = await api(KEYS, token, { method: "POST", body: key({ name: "plain" }) });
    expect(plain.status).toBe(201);
    expect((await plain.json()) as any).toMatchObject({
      data: { scope: "read write", grant_types: BOTH, meta: { created_by: admin.client_id } },
    });

    const res = await api(KEYS, token, {
      method: "POST",
      body: key({ name: "storefront", scope: "read", grant_types: ["implicit", "implicit"] }),
    });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as any;
    expect([data.scope, data.grant_types]).toStrictEqual(["read", ["implicit"]]);
    // on get and on list too
    expect(((await (await api(`${KEYS}/${data.id}`, token)).json()) as any).data).toMatchObject({
      scope: "read",
      grant_types: ["implicit"],
    });
    const listed = ((await (await api(`${KEYS}?page[limit]=100`, token)).json()) as any).data.find((k: any) => k.id === data.id);
    expect(listed).toMatchObject({ scope: "read", grant_types: ["implicit"], meta: { created_by: admin.client_id } });
    // and the scope is written in the vocabulary's order, each once
    const messy = await api(KEYS, token, { method: "POST", body: key({ name: "m", scope: "write read" }) });
    expect(((await messy.json()) as any).data.scope).toBe("read write");
  });

  it("DEFAULT_GRANT_TYPES decides a new key's grants when its creator names none", async () => {
    const admin = await createAdmin();
    const token = (await tokenOf(cc(admin))).access_token;
    const narrow = { DEFAULT_GRANT_TYPES: "client_credentials" };
    const res = await call(
      KEYS,
      {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify(key({ name: "backend" })),
      },
      narrow,
    );
    expect(((await res.json()) as any).data.grant_types).toStrictEqual(["client_credentials"]);
    // the shipped default keeps Elastic Path's model: both grants
    expect(
      ((await (await api(KEYS, token, { method: "POST", body: key({ name: "shop" }) })).json()) as any).data.grant_types,
    ).toStrictEqual(BOTH);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    [
      "an unknown scope",
      { scope: "read admin" },
      'The field "data.scope" must be space-delimited scopes from: read write application_keys signing_keys.',
    ],
    [
      "an empty scope",
      { scope: "" },
      'The field "data.scope" must be space-delimited scopes from: read write application_keys signing_keys.',
    ],
    [
      "two spaces",
      { scope: "read  write" },
      'The field "data.scope" must be space-delimited scopes from: read write application_keys signing_keys.',
    ],
    [
      "a scope array",
      { scope: ["read"] },
      'The field "data.scope" must be space-delimited scopes from: read write application_keys signing_keys.',
    ],
    [
      "an unknown grant",
      { grant_types: ["password"] },
      'The field "data.grant_types" must be a non-empty array of "client_credentials" and "implicit".',
    ],
    ["no grants", { grant_types: [] }, 'The field "data.grant_types" must be a non-empty array of "client_credentials" and "implicit".'],
    [
      "a grant string",
      { grant_types: "implicit" },
      'The field "data.grant_types" must be a non-empty array of "client_credentials" and "implicit".',
    ],
  ];
  for (const [name, attrs, detail] of bad) {
    it(`400 naming the attribute for ${name}, on create and update`, async () => {
      const token = (await tokenOf(cc(await createAdmin()))).access_token;
      const created = await api(KEYS, token, { method: "POST", body: key({ name: "x", ...attrs }) });
      expect([created.status, await created.json()]).toStrictEqual([400, error(400, "Bad Request", "invalid_request", detail)]);
      const target = ((await (await api(KEYS, token, { method: "POST", body: key({ name: "t" }) })).json()) as any).data.id;
      const updated = await api(`${KEYS}/${target}`, token, { method: "PUT", body: key(attrs) });
      expect([updated.status, await updated.json()]).toStrictEqual([400, error(400, "Bad Request", "invalid_request", detail)]);
    });
  }

  it("a PUT with nothing to change is a 400", async () => {
    const token = (await tokenOf(cc(await createAdmin()))).access_token;
    const target = ((await (await api(KEYS, token, { method: "POST", body: key({ name: "t" }) })).json()) as any).data.id;
    const res = await api(`${KEYS}/${target}`, token, { method: "PUT", body: key({}) });
    expect(await res.json()).toStrictEqual(
      error(
        400,
        "Bad Request",
        "invalid_request",
        'Nothing to update: give "data.name", "data.scope", "data.grant_types", "data.token_quota", "data.implicit_quota", "data.token_endpoint_auth_method", "data.jwks" or "data.dpop_bound_access_tokens".',
      ),
    );
  });
});

describe("token requests: scope (RFC 6749 §3.3) and grant types", () => {
  it("without scope, every scope the grant allows; with it, exactly the requested set, everywhere the token shows", async () => {
    const admin = await createAdmin();
    const all = await tokenOf(cc(admin));
    expect([all.scope, all.data.scope, claimsOf(all.access_token).scope]).toStrictEqual(Array(3).fill("read write application_keys"));

    const narrow = await tokenOf(cc(admin, { scope: "read" }));
    expect([narrow.scope, narrow.data.scope, claimsOf(narrow.access_token).scope]).toStrictEqual(["read", "read", "read"]);
    const reordered = await tokenOf(cc(admin, { scope: "application_keys read" }));
    expect(reordered.scope).toBe("read application_keys");

    const introspected = await (
      await post("/oauth/introspect", { token: narrow.access_token, client_id: admin.client_id, client_secret: admin.client_secret })
    ).json();
    expect(introspected).toMatchObject({ active: true, scope: "read" });
    // implicit: within PUBLIC_SCOPES
    expect((await tokenOf(implicit(admin))).scope).toBe("read");
  });

  const invalid: [string, Record<string, string>, string][] = [
    [
      "an unknown scope",
      { scope: "read nonsense" },
      "The requested scope is unknown or exceeds what this client may get with the client_credentials grant.",
    ],
    [
      "a scope the key lacks",
      { scope: "application_keys" },
      "The requested scope is unknown or exceeds what this client may get with the client_credentials grant.",
    ],
    ["a malformed scope", { scope: "read  write" }, "The scope parameter is not a valid scope value (RFC 6749 §3.3)."],
    ["a quote", { scope: 'read "x"' }, "The scope parameter is not a valid scope value (RFC 6749 §3.3)."],
  ];
  for (const [name, extra, detail] of invalid) {
    it(`400 invalid_scope for ${name}`, async () => {
      const res = await post(TOKEN, cc(await createApplicationKey(), extra));
      expect([res.status, await res.json()]).toStrictEqual([400, error(400, "Bad Request", "invalid_scope", detail)]);
    });
  }

  it("implicit may ask only for public scopes the key holds", async () => {
    const client = await createApplicationKey();
    const res = await post(TOKEN, implicit(client, { scope: "write" }));
    expect(await res.json()).toStrictEqual(
      error(
        400,
        "Bad Request",
        "invalid_scope",
        "The requested scope is unknown or exceeds what this client may get with the implicit grant.",
      ),
    );
    expect((await tokenOf(implicit(client, { scope: "read" }))).scope).toBe("read");
  });

  it("a grant the key does not list is 400 unauthorized_client (RFC 6749 §5.2)", async () => {
    const backend = await createApplicationKey("backend", { grant_types: ["client_credentials"] });
    const res = await post(TOKEN, implicit(backend));
    expect([res.status, await res.json()]).toStrictEqual([
      400,
      error(400, "Bad Request", "unauthorized_client", "This client may not use the implicit grant."),
    ]);
    const browser = await createApplicationKey("browser", { grant_types: ["implicit"] });
    const cres = await post(TOKEN, cc(browser));
    expect(await cres.json()).toStrictEqual(
      error(400, "Bad Request", "unauthorized_client", "This client may not use the client_credentials grant."),
    );
    // the secret is still checked first: a wrong one is a 401, as for any key
    expect((await post(TOKEN, cc({ ...browser, client_secret: "wrong" }))).status).toBe(401);
  });

  it("implicit for a key with no public scope is unauthorized_client", async () => {
    const writer = await createApplicationKey("writer", { scope: "write" });
    const res = await post(TOKEN, implicit(writer));
    expect(await res.json()).toStrictEqual(
      error(400, "Bad Request", "unauthorized_client", "This client holds no scope that the implicit grant may carry."),
    );
    expect((await tokenOf(cc(writer))).scope).toBe("write");
  });
});

describe("resource audiences (RFC 8707)", () => {
  // vitest.config.ts sets RESOURCES = "https://orders.example https://reports.example"
  it("aud is the requested resource, an array for several, the default without", async () => {
    const client = await createApplicationKey();
    expect(claimsOf((await tokenOf(cc(client, { resource: "https://orders.example" }))).access_token).aud).toBe("https://orders.example");
    const both = await call(TOKEN, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `grant_type=implicit&client_id=${client.client_id}&resource=${encodeURIComponent("https://orders.example")}&resource=${encodeURIComponent("https://reports.example")}&resource=${encodeURIComponent("https://orders.example")}`,
    });
    const token = ((await both.json()) as any).access_token;
    expect(claimsOf(token).aud).toStrictEqual(["https://orders.example", "https://reports.example"]);
    expect(claimsOf((await tokenOf(cc(client))).access_token).aud).toBe("https://auth.example");
    // introspection returns it, and the service's own checks accept every audience it issues for
    const inspector = await createApplicationKey();
    const introspected = await (
      await post("/oauth/introspect", { token, client_id: inspector.client_id, client_secret: inspector.client_secret })
    ).json();
    expect(introspected).toMatchObject({ active: true, aud: ["https://orders.example", "https://reports.example"] });
    expect((await new TokenVerifier(createExecutionContext(), env).verify(token, { method: "GET" })).valid).toBe(true);
  });

  for (const [name, resource] of [
    ["one not in RESOURCES", "https://evil.example"],
    ["a relative URI", "/orders"],
    ["a fragment", "https://orders.example#all"],
    ["a near miss", "https://orders.example/"],
  ]) {
    it(`400 invalid_target for ${name}`, async () => {
      const res = await post(TOKEN, cc(await createApplicationKey(), { resource: resource! }));
      expect([res.status, await res.json()]).toStrictEqual([
        400,
        error(400, "Bad Request", "invalid_target", "A requested resource is not an absolute URI this service issues tokens for."),
      ]);
    });
  }

  it("only resource may repeat: any other repeated parameter is still a 400", async () => {
    const client = await createApplicationKey();
    const res = await call(TOKEN, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `grant_type=implicit&client_id=${client.client_id}&scope=read&scope=read`,
    });
    expect(await res.json()).toStrictEqual(error(400, "Bad Request", "invalid_request", 'The parameter "scope" was given more than once.'));
  });

  it("a token issued for another resource cannot manage keys here", async () => {
    const admin = await createAdmin();
    const token = (await tokenOf(cc(admin, { resource: "https://orders.example" }))).access_token;
    expect((await api(KEYS, token)).status).toBe(401);
  });
});

describe("key management is a granted right", () => {
  it("a key made through the API without scopes gets 403 on /v2/application-keys", async () => {
    const admin = (await tokenOf(cc(await createAdmin()))).access_token;
    const made = ((await (await api(KEYS, admin, { method: "POST", body: key({ name: "backend" }) })).json()) as any).data;
    const its = (await tokenOf(cc(made))).access_token;
    const res = await api(KEYS, its);
    expect([res.status, res.headers.get("WWW-Authenticate")]).toStrictEqual([
      403,
      'Bearer realm="edge-token", error="insufficient_scope", scope="application_keys"',
    ]);
  });

  it("nobody grants more than they hold: a create or update with more scope than the caller's token is 403", async () => {
    const admin = await createAdmin();
    const limited = (await tokenOf(cc(admin, { scope: "read application_keys" }))).access_token;
    const over = await api(KEYS, limited, { method: "POST", body: key({ name: "escalate", scope: "read write" }) });
    expect([over.status, over.headers.get("WWW-Authenticate"), await over.json()]).toStrictEqual([
      403,
      'Bearer realm="edge-token", error="insufficient_scope", scope="read write"',
      error(403, "Forbidden", "insufficient_scope", "A key cannot be given a scope that the caller's own token does not hold."),
    ]);
    // the default scope counts too: a caller without write cannot mint a default key
    expect((await api(KEYS, limited, { method: "POST", body: key({ name: "default" }) })).status).toBe(403);
    const within = await api(KEYS, limited, { method: "POST", body: key({ name: "ok", scope: "read" }) });
    expect(within.status).toBe(201);
    const id = ((await within.json()) as any).data.id;
    expect((await api(`${KEYS}/${id}`, limited, { method: "PUT", body: key({ scope: "read write" }) })).status).toBe(403);
    expect((await api(`${KEYS}/${id}`, limited, { method: "PUT", body: key({ name: "renaming is no grant" }) })).status).toBe(200);
  });

  it("a key cannot delete itself nor drop its own application_keys (409); another key can", async () => {
    const self = await createAdmin("self");
    const selfToken = (await tokenOf(cc(self))).access_token;
    const selfId = self.id;
    await env.CLIENTS.put(`appkey:${selfId}`, self.client_id, { metadata: { client_id: self.client_id } });
    const del = await api(`${KEYS}/${selfId}`, selfToken, { method: "DELETE" });
    expect([del.status, await del.json()]).toStrictEqual([
      409,
      error(409, "Conflict", "conflict", "A key cannot delete itself; delete it with another key or the CLI."),
    ]);
    const drop = await api(`${KEYS}/${selfId}`, selfToken, { method: "PUT", body: key({ scope: "read write" }) });
    expect([drop.status, await drop.json()]).toStrictEqual([
      409,
      error(409, "Conflict", "conflict", "A key cannot remove application_keys from itself; do it with another key."),
    ]);
    expect((await tokenOf(cc(self))).scope).toBe("read write application_keys"); // unchanged
    const other = (await tokenOf(cc(await createAdmin("other")))).access_token;
    expect((await api(`${KEYS}/${selfId}`, other, { method: "PUT", body: key({ scope: "read write" }) })).status).toBe(200);
    expect((await api(`${KEYS}/${selfId}`, other, { method: "DELETE" })).status).toBe(204);
  });

  it("narrowing scope or grant types revokes the key's earlier tokens; widening or renaming does not", async () => {
    const admin = (await tokenOf(cc(await createAdmin()))).access_token;
    const made = ((await (await api(KEYS, admin, { method: "POST", body: key({ name: "n" }) })).json()) as any).data;
    const rpc = new TokenVerifier(createExecutionContext(), env);
    const check = async (t: string) => ((await rpc.verify(t, { method: "GET" })) as { valid: boolean; error?: string }).error ?? "valid";

    const before = (await tokenOf(cc(made))).access_token;
    await api(`${KEYS}/${made.id}`, admin, { method: "PUT", body: key({ name: "renamed" }) });
    await api(`${KEYS}/${made.id}`, admin, { method: "PUT", body: key({ scope: "read write application_keys" }) });
    expect(await check(before)).toBe("valid");

    await api(`${KEYS}/${made.id}`, admin, { method: "PUT", body: key({ scope: "read" }) });
    expect(await check(before)).toBe("revoked");
    // The key is never stopped: the narrower record serves at once, and its tokens pass.
    const narrowed = (await tokenOf(cc(made))).access_token;
    expect([claimsOf(narrowed).scope, await check(narrowed)]).toStrictEqual(["read", "valid"]);

    await api(`${KEYS}/${made.id}`, admin, { method: "PUT", body: key({ grant_types: ["implicit"] }) });
    expect(await check(narrowed)).toBe("revoked");
    expect((await post(TOKEN, cc(made))).status).toBe(400);
  });

  it("every create, update and delete writes one audit line: actor, action, key, old and new scope", async () => {
    const operator = await createAdmin();
    const admin = (await tokenOf(cc(operator))).access_token;
    const lines: Record<string, any>[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(JSON.parse(String(line))));
    const made = ((await (await api(KEYS, admin, { method: "POST", body: key({ name: "audited", scope: "read" }) })).json()) as any).data;
    await api(`${KEYS}/${made.id}`, admin, { method: "PUT", body: key({ scope: "read write" }) });
    await api(`${KEYS}/${made.id}`, admin, { method: "DELETE" });
    await api(KEYS, admin);
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => l.audit)).toStrictEqual([
      { actor: operator.client_id, action: "create", key_id: made.id, old_scope: null, new_scope: "read" },
      { actor: operator.client_id, action: "update", key_id: made.id, old_scope: "read", new_scope: "read write" },
      { actor: operator.client_id, action: "delete", key_id: made.id, old_scope: "read write", new_scope: null },
      undefined,
    ]);
  });
});
