import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  createVerifier,
  JwksUnavailableError,
  protectedResource,
  protectedResourceMetadataUrl,
  unauthorized,
  unavailable,
  withToken,
} from "../../src/verify.ts";
import { createApplicationKey, ORIGIN } from "../support/helpers.ts";

/**
 * RFC 9728 protected-resource metadata, as an MCP server must serve it (MCP authorization,
 * 2026-07-28): the verifier describes its resource, serves the document, and names it in its
 * 401 challenge; a client finds the authorization server from there.
 */
/** A client_credentials request to the authorization server, as a client outside it sends one. */
const clientCredentials = (endpoint: string, c: { client_id: string; client_secret: string }, extra: Record<string, string> = {}) =>
  env.EDGE_TOKEN.fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: c.client_id,
      client_secret: c.client_secret,
      ...extra,
    }).toString(),
  });

const ORDERS = { uri: "https://orders.example", name: "Orders", scopes: ["read", "write"] };

describe("the metadata's URL (RFC 9728 §3.1)", () => {
  it("is the well-known path on the resource's host, its own path and query after it", () => {
    expect(protectedResourceMetadataUrl("https://orders.example")).toBe("https://orders.example/.well-known/oauth-protected-resource");
    expect(protectedResourceMetadataUrl("https://orders.example/")).toBe("https://orders.example/.well-known/oauth-protected-resource");
    expect(protectedResourceMetadataUrl("https://api.example/mcp")).toBe("https://api.example/.well-known/oauth-protected-resource/mcp");
    expect(protectedResourceMetadataUrl("https://api.example:8443/v1/mcp?tenant=a")).toBe(
      "https://api.example:8443/.well-known/oauth-protected-resource/v1/mcp?tenant=a",
    );
  });
});

describe("a verifier that describes its resource", () => {
  it("states the document §2 asks for: resource, the issuer as its authorization server, scopes, bearer methods, DPoP algorithms, name", () => {
    const verifier = createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, resource: ORDERS });
    expect(verifier.resource).toStrictEqual({
      metadataUrl: "https://orders.example/.well-known/oauth-protected-resource",
      metadata: {
        resource: "https://orders.example",
        authorization_servers: [ORIGIN],
        scopes_supported: ["read", "write"],
        bearer_methods_supported: ["header"],
        dpop_signing_alg_values_supported: ["EdDSA", "Ed25519", "ES256", "PS256"],
        resource_name: "Orders",
      },
    });
    expect(createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN }).resource).toBeUndefined();
  });

  it("refuses a resource that is not an https URL without a fragment, and scopes that are not scope tokens", () => {
    // Clients compare `resource` as a string (§3.3), and its URL goes into a quoted challenge:
    // only the text a URL parser writes back, with no user info.
    for (const uri of [
      "orders.example",
      "http://orders.example",
      "https://orders.example/#x",
      "",
      "https://orders.example/a b",
      'https://orders.example/a"b',
      "https://orders.example/?x=\\",
      "https://Orders.example",
      "https://user:pw@orders.example",
      "https://orders.example/\r\nx",
    ]) {
      expect(() => createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, resource: { uri } }), uri).toThrow(TypeError);
    }
    expect(() => createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, resource: { ...ORDERS, scopes: ['a"b'] } })).toThrow(TypeError);
    for (const name of ["", " ", 42]) {
      expect(() => createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, resource: { ...ORDERS, name: name as string } })).toThrow(
        TypeError,
      );
    }
    for (const uri of ["https://orders.example", "https://orders.example/", "https://api.example/mcp", "https://api.example/a?b=c"]) {
      expect(createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, resource: { uri } }).resource?.metadata.resource).toBe(uri);
    }
  });

  it("leaves out a member with no values (§2): no empty scopes_supported", () => {
    const verifier = createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, resource: { uri: ORDERS.uri, scopes: [] } });
    expect(verifier.resource?.metadata).not.toHaveProperty("scopes_supported");
  });

  it("describes a resource without a verifier of its own (one that checks tokens over RPC), with the same rules", async () => {
    const serve = protectedResource({ issuer: ORIGIN, resource: ORDERS });
    const res = serve(new Request("https://orders.example/.well-known/oauth-protected-resource"))!;
    expect(await res.json()).toStrictEqual(createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, resource: ORDERS }).resource?.metadata);
    for (const issuer of ["", "auth.example", "javascript:alert(1)", `${ORIGIN}?x=1`, `${ORIGIN}#x`, "https://u:p@auth.example"]) {
      expect(() => protectedResource({ issuer, resource: ORDERS }), issuer).toThrow(TypeError);
    }
  });

  it("serves the document at its URL only, to GET and HEAD, public and readable from a browser", async () => {
    const serve = protectedResource(createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, resource: ORDERS }));
    const res = serve(new Request("https://orders.example/.well-known/oauth-protected-resource"))!;
    expect([res.status, res.headers.get("Content-Type"), res.headers.get("Access-Control-Allow-Origin")]).toStrictEqual([
      200,
      "application/json",
      "*",
    ]);
    expect(((await res.json()) as { resource: string }).resource).toBe("https://orders.example");
    expect(serve(new Request("https://orders.example/.well-known/oauth-protected-resource", { method: "HEAD" }))!.status).toBe(200);
    for (const [url, method] of [
      ["https://orders.example/orders", "GET"],
      ["https://orders.example/.well-known/oauth-protected-resource/x", "GET"],
      ["https://orders.example/.well-known/oauth-protected-resource", "POST"],
    ]) {
      expect(serve(new Request(url!, { method }))).toBeUndefined();
    }
    // a browser client's preflight, with a header of MCP's own
    const preflight = serve(
      new Request("https://orders.example/.well-known/oauth-protected-resource", {
        method: "OPTIONS",
        headers: {
          Origin: "https://app.example",
          "Access-Control-Request-Method": "GET",
          "Access-Control-Request-Headers": "mcp-protocol-version",
        },
      }),
    )!;
    expect([
      preflight.status,
      preflight.headers.get("Access-Control-Allow-Origin"),
      preflight.headers.get("Access-Control-Allow-Methods"),
      preflight.headers.get("Access-Control-Allow-Headers"),
    ]).toStrictEqual([204, "*", "GET, HEAD, OPTIONS", "mcp-protocol-version"]);
    expect(() => protectedResource(createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN }))).toThrow(TypeError);
  });

  it("names the document in the Bearer challenge (§5.1), beside the DPoP one; without a description, the challenge is as before", () => {
    const failed = { valid: false, status: 401, error: "bad_signature" } as const;
    const named = unauthorized(failed, "api", "https://orders.example/.well-known/oauth-protected-resource");
    expect(named.headers.get("WWW-Authenticate")).toBe(
      'Bearer realm="api", error="invalid_token", resource_metadata="https://orders.example/.well-known/oauth-protected-resource", DPoP algs="EdDSA Ed25519 ES256 PS256", error="invalid_token"',
    );
    expect(unauthorized(failed).headers.get("WWW-Authenticate")).toBe(
      'Bearer realm="api", error="invalid_token", DPoP algs="EdDSA Ed25519 ES256 PS256", error="invalid_token"',
    );
  });

  it("says a token is needed, with no error code, to a request that sent none (RFC 6750 §3.1); a bad proof is invalid_dpop_proof (RFC 9449 §7.1)", () => {
    const none = unauthorized(
      { valid: false, status: 401, error: "no_token" },
      "api",
      "https://orders.example/.well-known/oauth-protected-resource",
    );
    expect([none.status, none.headers.get("WWW-Authenticate")]).toStrictEqual([
      401,
      'Bearer realm="api", resource_metadata="https://orders.example/.well-known/oauth-protected-resource", DPoP algs="EdDSA Ed25519 ES256 PS256"',
    ]);
    const proof = unauthorized({ valid: false, status: 401, error: "dpop_invalid" });
    expect(proof.headers.get("WWW-Authenticate")).toBe(
      'Bearer realm="api", error="invalid_token", DPoP algs="EdDSA Ed25519 ES256 PS256", error="invalid_dpop_proof"',
    );
  });

  it("escapes a quote or backslash in the realm or the URL, so neither can end its quoted string early", () => {
    const failed = { valid: false, status: 401, error: "bad_signature" } as const;
    const res = unauthorized(failed, 'a", error="x', 'https://x.example/?q=\\"');
    expect(res.headers.get("WWW-Authenticate")).toBe(
      'Bearer realm="a\\", error=\\"x", error="invalid_token", resource_metadata="https://x.example/?q=\\\\\\"", DPoP algs="EdDSA Ed25519 ES256 PS256", error="invalid_token"',
    );
  });
});

describe("when the issuer's key set cannot be had", () => {
  it("withToken answers 503 with Retry-After in the service's error shape, not a 401 or a bare 500", async () => {
    const down = { fetch: async () => new Response("no", { status: 502 }) };
    // An issuer of its own: key sets are cached per isolate by URL, and this one never comes.
    const verifier = createVerifier({ issuer: "https://down.example", jwks: down, resource: ORDERS });
    const token = "eyJhbGciOiJFZERTQSIsImtpZCI6IngiLCJ0eXAiOiJhdCtqd3QifQ.eyJhIjoxfQ.AAAA";
    await expect(verifier.verify(token)).rejects.toThrow(JwksUnavailableError);
    const res = (await withToken(() => verifier)(
      new Request("https://orders.example/x", { headers: { Authorization: `Bearer ${token}` } }),
      {},
    ))!;
    expect([res.status, res.headers.get("Retry-After"), await res.json()]).toStrictEqual([
      503,
      "5",
      {
        errors: [
          {
            title: "Service Unavailable",
            status: "503",
            detail: "The token could not be checked now; try again shortly.",
            code: "temporarily_unavailable",
          },
        ],
      },
    ]);
    expect(await unavailable(30).headers.get("Retry-After")).toBe("30");
  });

  it("createVerifier refuses, at once, an issuer or jwks that could never work", () => {
    for (const issuer of [
      "",
      "auth.example",
      "javascript:alert(1)",
      "data:,x",
      "urn:x",
      `${ORIGIN}?x=1`,
      `${ORIGIN}\n`,
      "https://u:p@auth.example",
    ]) {
      expect(() => createVerifier({ issuer, jwks: env.EDGE_TOKEN }), JSON.stringify(issuer)).toThrow(TypeError);
    }
    for (const jwks of ["not a url", "file:///etc/passwd", undefined, null, 42, {}, { keys: "x" }]) {
      expect(() => createVerifier({ issuer: ORIGIN, jwks: jwks as never }), String(jwks)).toThrow(TypeError);
    }
    expect(() => createVerifier({ issuer: `${ORIGIN}/`, jwks: env.EDGE_TOKEN })).not.toThrow();
  });
});

describe("an MCP client using the client-credentials extension", () => {
  it("walks from a 401 to the metadata, the authorization server's metadata and a token for the resource, and the retried request passes", async () => {
    // The MCP server: the metadata first, then the token check, then its own answer.
    const verifier = createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, resource: ORDERS });
    const metadata = protectedResource(verifier);
    const guard = withToken(() => verifier);
    const server = async (request: Request) =>
      metadata(request) ?? (await guard(request, {})) ?? Response.json({ jsonrpc: "2.0", id: 1, result: {} });
    const call = (token?: string) =>
      server(
        new Request("https://orders.example/mcp", {
          method: "POST",
          headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
        }),
      );
    const client = await createApplicationKey("an MCP client", { scope: "read write" });

    const first = await call();
    expect(first.status).toBe(401);
    const challenge = first.headers.get("WWW-Authenticate")!;
    const at = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(at).toBe("https://orders.example/.well-known/oauth-protected-resource");

    const described = (await (await server(new Request(at!))).json()) as { resource: string; authorization_servers: string[] };
    expect(described.authorization_servers).toStrictEqual([ORIGIN]);
    const as = (await (
      await env.EDGE_TOKEN.fetch(`${described.authorization_servers[0]}/.well-known/oauth-authorization-server`)
    ).json()) as {
      issuer: string;
      token_endpoint: string;
      grant_types_supported: string[];
    };
    expect([as.issuer, as.grant_types_supported.includes("client_credentials")]).toStrictEqual([ORIGIN, true]);

    const res = await clientCredentials(as.token_endpoint, client, { resource: described.resource }); // RFC 8707: for this resource alone
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };

    const retried = await call(access_token);
    expect([retried.status, await retried.json()]).toStrictEqual([200, { jsonrpc: "2.0", id: 1, result: {} }]);
  });

  it("a token for the authorization server itself (no resource asked for) is refused by the resource: its aud is not the resource", async () => {
    const verifier = createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, resource: ORDERS });
    const client = await createApplicationKey("asks for no resource");
    const res = await clientCredentials(`${ORIGIN}/oauth/access_token`, client);
    const { access_token } = (await res.json()) as { access_token: string };
    expect(await verifier.verify(access_token)).toStrictEqual({ valid: false, status: 401, error: "wrong_audience" });
  });
});
