import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { basic, call, createAdmin, createApplicationKey, post, tokenFor } from "../support/helpers.ts";

afterEach(() => vi.restoreAllMocks());

describe("logs", () => {
  it("one JSON line per request, and never a secret, private key member or token", async () => {
    // Everything that must never be logged, collected as the run goes.
    const client = await createApplicationKey("logged");
    const operator = await createAdmin("operator");
    const adminToken = await tokenFor(operator);
    const secrets = [client.client_secret, operator.client_secret, adminToken];
    for (const k of JSON.parse(env.SIGNING_KEYS).keys) secrets.push(k.d);
    const otherKek = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    secrets.push(env.SIGNING_KEY_KEK, otherKek);

    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    for (const level of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, level).mockImplementation(capture);

    const requests: [string, () => Promise<Response>][] = [];
    const add = (name: string, fn: () => Promise<Response>) => requests.push([name, fn]);
    const cc = { grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret };
    let token = "";
    add("token ok", async () => {
      const r = await post("/oauth/access_token", cc, { "cf-ray": "8f00000000000001-AMS" });
      token = ((await r.clone().json()) as { access_token: string }).access_token;
      secrets.push(token);
      return r;
    });
    add("token implicit", () => post("/oauth/access_token", { grant_type: "implicit", client_id: client.client_id }));
    add("token wrong secret", () => post("/oauth/access_token", { ...cc, client_secret: `${client.client_secret.slice(0, -1)}x` }));
    add("token basic wrong", () => post("/oauth/access_token", { grant_type: "client_credentials" }, basic(client.client_id, "nope")));
    add("token bad request", () => post("/oauth/access_token", { grant_type: "password", client_secret: client.client_secret }));
    add("introspect ok", () => post("/oauth/introspect", { token }, basic(operator.client_id, operator.client_secret)));
    add("introspect garbage", () => post("/oauth/introspect", { token: `${token}x` }, basic(operator.client_id, operator.client_secret)));
    add("introspect unauthenticated", () => post("/oauth/introspect", { token }));
    add("revoke ok", () => post("/oauth/revoke", { token, ...cc }));
    add("jwks", () => call("/.well-known/jwks.json"));
    add("metadata", () => call("/.well-known/oauth-authorization-server"));
    add("admin list", () => call("/v2/application-keys", { headers: { Authorization: `Bearer ${adminToken}` } }));
    add("admin create", async () => {
      const r = await call("/v2/application-keys", {
        method: "POST",
        headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "application_key", name: "made" } }),
      });
      secrets.push(((await r.clone().json()) as { data: { client_secret: string } }).data.client_secret);
      return r;
    });
    add("admin revoked token", () => call("/v2/application-keys", { headers: { Authorization: `Bearer ${token}` } }));
    add("not found", () => call("/nowhere"));
    // a secret pasted where a key's id belongs
    add("a secret in the path", () =>
      call(`/v2/application-keys/${client.client_secret}/secret`, {
        method: "POST",
        headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "secret_rotation" } }),
      }),
    );
    add("method not allowed", () => call("/oauth/access_token"));
    add("cannot sign", () => post("/oauth/access_token", cc, {}, { SIGNING_KEY_KEK: otherKek }));

    const statuses: number[] = [];
    for (const [, fn] of requests) statuses.push((await fn()).status);
    expect(statuses).toStrictEqual([200, 200, 401, 401, 400, 200, 200, 401, 200, 200, 200, 200, 201, 401, 404, 404, 405, 503]);

    expect(lines).toHaveLength(requests.length);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => l.status)).toStrictEqual(statuses);
    expect(parsed[0]).toStrictEqual({
      level: "info",
      method: "POST",
      path: "/oauth/access_token",
      status: 200,
      outcome: "ok",
      client_id: client.client_id,
      duration_ms: parsed[0]!.duration_ms,
      request_id: "8f00000000000001-AMS",
    });
    expect(parsed.map((l) => l.outcome)).toStrictEqual([
      "ok",
      "ok",
      "invalid_client",
      "invalid_client",
      "unsupported_grant_type",
      "ok",
      "ok",
      "invalid_client",
      "ok",
      "ok",
      "ok",
      "ok",
      "ok",
      "invalid_token",
      "not_found",
      "not_found",
      "method_not_allowed",
      "signing_unavailable",
    ]);
    expect(parsed[2]!.client_id).toBe(client.client_id);
    expect(parsed[15]!.path).toBe("/v2/application-keys/…/secret");
    expect(parsed.at(-1)).toMatchObject({ level: "error", error: { name: "SigningUnavailableError" } });

    const all = lines.join("\n");
    for (const s of secrets) expect(all).not.toContain(s);
  });

  it('logs a presented client_id only when it has the shape of a real one; otherwise "-"', async () => {
    const client = await createApplicationKey();
    const lines: Record<string, unknown>[] = [];
    for (const level of ["log", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((line: unknown) => void lines.push(JSON.parse(String(line))));
    }
    const presented = [
      "x".repeat(15 * 1024), // a 15 KiB client_id
      client.client_secret, // a secret pasted into the client_id field
      client.client_id.toUpperCase(),
      `${client.client_id} `,
      client.client_id,
    ];
    for (const id of presented) {
      await post("/oauth/access_token", { grant_type: "client_credentials", client_id: id, client_secret: "wrong" });
      await post("/oauth/access_token", { grant_type: "implicit", client_id: id });
      await post("/oauth/introspect", { token: "x", client_id: id, client_secret: "wrong" });
    }
    expect(lines.map((l) => l.client_id)).toStrictEqual([...Array(12).fill("-"), client.client_id, client.client_id, client.client_id]);
    expect(lines.map((l) => l.status)).toStrictEqual([...Array(4).fill([401, 401, 401]).flat(), 401, 200, 401]);
    const all = JSON.stringify(lines);
    expect(all).not.toContain(client.client_secret);
    expect(all).not.toContain("xxxxxxxx");
  });
});
