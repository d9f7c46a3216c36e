import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/config/settings.ts";
import { TokenVerifier } from "../../src/index.ts";
import { basic, call, createApplicationKey, error, post, signWith, tokenFor } from "../support/helpers.ts";

/**
 * With ISSUER empty, tokens would carry whichever host they were requested at (workers.dev,
 * preview URLs, custom domains) and every path would accept any iss whose aud matched it. That
 * is a local-development convenience only, and must be asked for by name.
 */
afterEach(() => vi.restoreAllMocks());

const SERVER_ERROR = error(500, "Internal Server Error", "server_error", "there was a problem processing your request");

describe("an unset ISSUER", () => {
  for (const unset of ["", "   ", undefined]) {
    it(`is a configuration error (ISSUER ${JSON.stringify(unset)}): 500 everywhere, the setting named in the log only`, async () => {
      const logged: string[] = [];
      vi.spyOn(console, "error").mockImplementation((line: unknown) => void logged.push(String(line)));
      const client = await createApplicationKey();
      const token = await tokenFor(client);
      const prod = { ISSUER: unset } as Partial<Env>;
      const responses = [
        await post("/oauth/access_token", { grant_type: "implicit", client_id: client.client_id }, {}, prod),
        await post("/oauth/introspect", { token }, basic(client.client_id, client.client_secret), prod),
        await post("/oauth/revoke", { token }, basic(client.client_id, client.client_secret), prod),
        await call("/.well-known/oauth-authorization-server", {}, prod),
        await call("/.well-known/jwks.json", {}, prod),
        await call("/v2/application-keys", { headers: { Authorization: `Bearer ${token}` } }, prod),
      ];
      for (const res of responses) {
        expect(res.status).toBe(500);
        expect(await res.json()).toStrictEqual(SERVER_ERROR);
      }
      expect(logged).toHaveLength(responses.length);
      for (const line of logged) {
        expect(JSON.parse(line).error).toStrictEqual({
          name: "ConfigError",
          message:
            "ISSUER is not set: set it to this service's public URL (ALLOW_REQUEST_ORIGIN_ISSUER=true is for local development only)",
        });
      }
      // Other Workers' checks fail closed too.
      const rpc = new TokenVerifier(createExecutionContext(), { ...env, ...prod } as Env);
      await expect(rpc.verify(token)).rejects.toThrow("ISSUER is not set");
    });
  }

  it("with ALLOW_REQUEST_ORIGIN_ISSUER=true (what npm start writes into .dev.vars), the request's origin is the issuer", async () => {
    const dev = { ISSUER: "", ALLOW_REQUEST_ORIGIN_ISSUER: "true" };
    const client = await createApplicationKey();
    const res = await call(
      "/oauth/access_token",
      {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: `grant_type=implicit&client_id=${client.client_id}`,
      },
      dev,
      "http://localhost:8787",
    );
    expect(res.status).toBe(200);
    const rpc = new TokenVerifier(createExecutionContext(), { ...env, ...dev });
    const own = await signWith({ iss: "http://localhost:8787", aud: "http://localhost:8787" });
    expect((await rpc.verify(own, { method: "GET" })).valid).toBe(true);
    // any other value of the flag is not a yes
    for (const flag of ["1", "yes", "TRUE ", "false"]) {
      const r = await call("/.well-known/oauth-authorization-server", {}, { ISSUER: "", ALLOW_REQUEST_ORIGIN_ISSUER: flag });
      expect([flag, r.status]).toStrictEqual([flag, 500]);
    }
  });

  it("an ISSUER that is not an absolute URL is a configuration error too", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await call("/.well-known/oauth-authorization-server", {}, { ISSUER: "auth.example.com" });
    expect([res.status, await res.json()]).toStrictEqual([500, SERVER_ERROR]);
  });
});
