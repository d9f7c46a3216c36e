import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import {
  call,
  claimsOf,
  createAdmin,
  createApplicationKey,
  error,
  issueAt,
  nowSeconds,
  post,
  signWith,
  tokenFor,
} from "../support/helpers.ts";
import { payloadIn } from "../support/kv-values.ts";

const KEYS = "/v2/application-keys";
afterEach(() => vi.restoreAllMocks());

async function managerToken() {
  return tokenFor(await createAdmin("operator"));
}

function api(path: string, token: string | undefined, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set("Authorization", `Bearer ${token}`);
  if (init.body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  return call(path, { ...init, headers });
}

const create = (token: string, name: string) =>
  api(KEYS, token, { method: "POST", body: JSON.stringify({ data: { type: "application_key", name } }) });

type Key = {
  id: string;
  type: string;
  name: string;
  client_id: string;
  client_secret?: string;
  meta: { timestamps: { created_at: string; updated_at: string } };
};

describe("POST /v2/application-keys", () => {
  it("creates a key that can get tokens at once; the secret appears only here", async () => {
    const token = await managerToken();
    const res = await create(token, "Storefront");
    expect(res.status).toBe(201);
    expect(res.headers.get("Content-Type")).toBe("application/json");
    const { data } = (await res.json()) as { data: Key };
    expect(data).toStrictEqual({
      id: data.id,
      type: "application_key",
      name: "Storefront",
      client_id: data.client_id,
      scope: "read write",
      grant_types: ["client_credentials", "implicit"],
      token_endpoint_auth_method: "client_secret_basic",
      dpop_bound_access_tokens: false,
      client_secret: data.client_secret,
      meta: {
        timestamps: { created_at: data.meta.timestamps.created_at, updated_at: data.meta.timestamps.created_at },
        created_by: claimsOf(token).client_id,
      },
    });
    expect(data.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(data.client_id).toMatch(/^[0-9a-f]{40}$/);
    expect(data.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const issued = await post("/oauth/access_token", {
      grant_type: "client_credentials",
      client_id: data.client_id,
      client_secret: data.client_secret!,
    });
    expect(issued.status).toBe(200);

    // Stored as a digest only, found by id and by client_id without a scan.
    const stored = await env.CLIENTS.get(`client:${data.client_id}`);
    expect(stored).not.toContain(data.client_secret);
    expect(await payloadIn(env.CLIENTS, `appkey:${data.id}`)).toBe(data.client_id);
  });

  const bad: [string, BodyInit, string | undefined, string][] = [
    ["type missing", JSON.stringify({ data: { name: "x" } }), undefined, 'The field "data.type" must be "application_key".'],
    [
      "another type",
      JSON.stringify({ data: { type: "product", name: "x" } }),
      undefined,
      'The field "data.type" must be "application_key".',
    ],
    [
      "name missing",
      JSON.stringify({ data: { type: "application_key" } }),
      undefined,
      'The field "data.name" must be a string of 1 to 255 characters.',
    ],
    [
      "name empty",
      JSON.stringify({ data: { type: "application_key", name: "" } }),
      undefined,
      'The field "data.name" must be a string of 1 to 255 characters.',
    ],
    [
      "name blank",
      JSON.stringify({ data: { type: "application_key", name: "   " } }),
      undefined,
      'The field "data.name" must be a string of 1 to 255 characters.',
    ],
    [
      "name of 256",
      JSON.stringify({ data: { type: "application_key", name: "n".repeat(256) } }),
      undefined,
      'The field "data.name" must be a string of 1 to 255 characters.',
    ],
    [
      "name a number",
      JSON.stringify({ data: { type: "application_key", name: 5 } }),
      undefined,
      'The field "data.name" must be a string of 1 to 255 characters.',
    ],
    [
      "no data",
      JSON.stringify({ type: "application_key", name: "x" }),
      undefined,
      'The body must be {"data":{"type":"application_key","name":…}}.',
    ],
    ["data an array", JSON.stringify({ data: [] }), undefined, 'The body must be {"data":{"type":"application_key","name":…}}.'],
    ["malformed JSON", '{"data":', undefined, "The request body is not valid JSON."],
    ["a form body", "name=x", "application/x-www-form-urlencoded", "The request body must be application/json."],
  ];
  for (const [name, body, type, detail] of bad) {
    it(`400: ${name}`, async () => {
      const token = await managerToken();
      const res = await api(KEYS, token, { method: "POST", body, headers: type ? { "Content-Type": type } : {} });
      expect(res.status).toBe(400);
      expect(await res.json()).toStrictEqual(error(400, "Bad Request", "invalid_request", detail));
    });
  }

  it("accepts a name of exactly 255 characters, unicode counted as characters", async () => {
    const res = await create(await managerToken(), "é".repeat(255));
    expect(res.status).toBe(201);
  });
});

describe("authentication", () => {
  it("401 with WWW-Authenticate: Bearer for a missing, malformed, expired, revoked or forged token", async () => {
    const client = await createApplicationKey();
    const revoked = await tokenFor(client);
    await post("/oauth/revoke", { token: revoked, client_id: client.client_id, client_secret: client.client_secret });
    const { generateKeyPair } = await import("jose");
    const forged = await signWith({ client_id: client.client_id }, {}, (await generateKeyPair("Ed25519")).privateKey);
    const expired = (await issueAt(client, nowSeconds() - 7200)).token;

    // No token, or credentials of a kind the admin API does not take: told a token is needed, with no error code (RFC 6750 §3.1).
    const basic = { headers: { Authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}` } };
    for (const res of [await api(KEYS, undefined), await call(KEYS, basic)]) {
      expect([res.status, res.headers.get("WWW-Authenticate")]).toStrictEqual([401, 'Bearer realm="edge-token"']);
      expect(await res.json()).toStrictEqual(error(401, "Unauthorized", "invalid_token", "An access token is required."));
    }

    for (const [name, header] of [
      ["malformed", "Bearer not a token"],
      // a token that is there, sent wrongly: a tab for the space, or beside Basic credentials (two headers, joined)
      ["after a tab", `Bearer\t${revoked}`],
      ["beside Basic", `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}, Bearer ${revoked}`],
      ["expired", `Bearer ${expired}`],
      ["revoked", `Bearer ${revoked}`],
      ["forged", `Bearer ${forged}`],
    ]) {
      const res = await call(KEYS, { headers: { Authorization: header! } });
      expect([name, res.status, res.headers.get("WWW-Authenticate")]).toStrictEqual([
        name,
        401,
        'Bearer realm="edge-token", error="invalid_token"',
      ]);
      expect(await res.json()).toStrictEqual(
        error(401, "Unauthorized", "invalid_token", "The access token is missing, invalid, expired or revoked."),
      );
    }
  });

  it("403 for a token without the application_keys scope, on every operation", async () => {
    const implicit = await tokenFor(await createAdmin(), "implicit");
    const id = "0190f000-0000-7000-8000-000000000000";
    for (const [method, path] of [
      ["GET", KEYS],
      ["POST", KEYS],
      ["GET", `${KEYS}/${id}`],
      ["PUT", `${KEYS}/${id}`],
      ["DELETE", `${KEYS}/${id}`],
    ]) {
      const res = await api(path!, implicit, { method: method!, ...(method === "POST" || method === "PUT" ? { body: "{}" } : {}) });
      expect([method, path, res.status]).toStrictEqual([method, path, 403]);
      expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="edge-token", error="insufficient_scope", scope="application_keys"');
      expect(await res.json()).toStrictEqual(
        error(403, "Forbidden", "insufficient_scope", "Managing application keys needs a token with the application_keys scope."),
      );
    }
  });
});

describe("GET, PUT and DELETE /v2/application-keys/:id", () => {
  it("gets a key without its secret or hash", async () => {
    const token = await managerToken();
    const created = ((await (await create(token, "Reader")).json()) as { data: Key }).data;
    const res = await api(`${KEYS}/${created.id}`, token);
    expect(res.status).toBe(200);
    const { client_secret: _, ...expected } = created;
    const body = await res.text();
    expect(JSON.parse(body)).toStrictEqual({ data: expected });
    expect(body).not.toMatch(/"client_secret"|secret_hash/);
  });

  it("renames a key, with the same validation", async () => {
    const token = await managerToken();
    const created = ((await (await create(token, "Old")).json()) as { data: Key }).data;
    const res = await api(`${KEYS}/${created.id}`, token, {
      method: "PUT",
      body: JSON.stringify({ data: { type: "application_key", name: "New" } }),
    });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Key };
    expect(data.name).toBe("New");
    expect(data.client_id).toBe(created.client_id);
    expect(data.meta.timestamps.created_at).toBe(created.meta.timestamps.created_at);
    expect(data.meta.timestamps.updated_at >= created.meta.timestamps.updated_at).toBe(true);
    expect(((await (await api(`${KEYS}/${created.id}`, token)).json()) as { data: Key }).data.name).toBe("New");

    const bad = await api(`${KEYS}/${created.id}`, token, {
      method: "PUT",
      body: JSON.stringify({ data: { type: "application_key", name: "" } }),
    });
    expect(bad.status).toBe(400);
    // The key still signs in with its old secret after a rename.
    const issued = await post("/oauth/access_token", {
      grant_type: "client_credentials",
      client_id: created.client_id,
      client_secret: created.client_secret!,
    });
    expect(issued.status).toBe(200);
  });

  it("404 for an unknown or malformed id", async () => {
    const token = await managerToken();
    for (const id of ["0190f000-0000-7000-8000-000000000000", "not-a-uuid", "x".repeat(600)]) {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const res = await api(`${KEYS}/${id}`, token, {
          method,
          ...(method === "PUT" ? { body: JSON.stringify({ data: { type: "application_key", name: "x" } }) } : {}),
        });
        expect([id.slice(0, 20), method, res.status]).toStrictEqual([id.slice(0, 20), method, 404]);
        expect(await res.json()).toStrictEqual(error(404, "Not Found", "not_found", "There is no application key with this id."));
      }
    }
  });

  it("deletes a key: 204, no more tokens, and its live tokens fail on every path", async () => {
    const token = await managerToken();
    const key = ((await (await create(token, "Doomed")).json()) as { data: Key }).data;
    const creds = { client_id: key.client_id, client_secret: key.client_secret! };
    const cc = await tokenFor(creds);
    const implicit = await tokenFor(creds, "implicit");
    const ownAdminToken = cc;

    const res = await api(`${KEYS}/${key.id}`, token, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    // token endpoint: both grants refused
    const again = await post("/oauth/access_token", { grant_type: "client_credentials", ...creds });
    expect(again.status).toBe(401);
    expect((await post("/oauth/access_token", { grant_type: "implicit", client_id: key.client_id })).status).toBe(401);

    // introspection (by another client), RPC and the consumer's both paths
    const inspector = await createApplicationKey();
    const verifier = new TokenVerifier(createExecutionContext(), env);
    for (const t of [cc, implicit]) {
      const introspected = await post("/oauth/introspect", {
        token: t,
        client_id: inspector.client_id,
        client_secret: inspector.client_secret,
      });
      expect(await introspected.json()).toStrictEqual({ active: false });
      expect(await verifier.verify(t)).toStrictEqual({ valid: false, status: 401, error: "revoked" });
      for (const path of ["/rpc/x", "/module/x"]) {
        const viaConsumer = await env.CONSUMER.fetch(`https://api.example${path}`, { headers: { Authorization: `Bearer ${t}` } });
        expect([path, viaConsumer.status, viaConsumer.headers.get("X-Verify-Error")]).toStrictEqual([path, 401, "revoked"]);
      }
    }
    // its own tokens cannot manage keys any more, and the key is gone
    expect((await api(KEYS, ownAdminToken)).status).toBe(401);
    expect((await api(`${KEYS}/${key.id}`, token)).status).toBe(404);
    expect((await api(`${KEYS}/${key.id}`, token, { method: "DELETE" })).status).toBe(404);
    expect(claimsOf(cc).client_id).toBe(key.client_id);
  });
});
