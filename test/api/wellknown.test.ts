import { env } from "cloudflare:workers";
import { decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { call, createApplicationKey, ORIGIN, tokenFor, verifyWithJwks } from "../support/helpers.ts";

describe("GET /.well-known/jwks.json", () => {
  it("publishes public halves only, cacheable for 5 minutes", async () => {
    const res = await call("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]!).sort()).toStrictEqual(["alg", "crv", "kid", "kty", "use", "x"]);
    expect(keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
  });

  it("publishes the key SIGNING_KEYS held, imported by the registry on first use, and it signs", async () => {
    const { kid } = JSON.parse(env.SIGNING_KEYS).keys[0] as { kid: string };
    const jwks = (await (await call("/.well-known/jwks.json")).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys.map((k) => k.kid)).toStrictEqual([kid]);
    expect(jwks.keys.every((k) => !("d" in k))).toBe(true);
    const token = await tokenFor(await createApplicationKey());
    expect(decodeProtectedHeader(token).kid).toBe(kid);
  });

  it("rejects a token signed by a foreign key that claims the same kid", async () => {
    const client = await createApplicationKey();
    const genuine = await tokenFor(client);
    const { kid } = decodeProtectedHeader(genuine);
    const claims = JSON.parse(atob(genuine.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/")));
    const { privateKey } = await generateKeyPair("Ed25519");
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: kid!, typ: "at+jwt" }).sign(privateKey);

    await expect(verifyWithJwks(genuine)).resolves.toBeTruthy();
    await expect(verifyWithJwks(forged)).rejects.toMatchObject({ code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
  });
});

describe("GET /.well-known/oauth-authorization-server", () => {
  it("describes the service (RFC 8414)", async () => {
    const res = await call("/.well-known/oauth-authorization-server");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/json");
    expect(await res.json()).toStrictEqual({
      issuer: ORIGIN,
      token_endpoint: `${ORIGIN}/oauth/access_token`,
      jwks_uri: `${ORIGIN}/.well-known/jwks.json`,
      revocation_endpoint: `${ORIGIN}/oauth/revoke`,
      introspection_endpoint: `${ORIGIN}/oauth/introspect`,
      service_documentation: `${ORIGIN}/`,
      grant_types_supported: ["client_credentials", "implicit"],
      response_types_supported: ["token"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
      revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
      introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
      token_endpoint_auth_signing_alg_values_supported: ["EdDSA", "Ed25519", "ES256", "PS256"],
      revocation_endpoint_auth_signing_alg_values_supported: ["EdDSA", "Ed25519", "ES256", "PS256"],
      introspection_endpoint_auth_signing_alg_values_supported: ["EdDSA", "Ed25519", "ES256", "PS256"],
      dpop_signing_alg_values_supported: ["EdDSA", "Ed25519", "ES256", "PS256"],
      scopes_supported: ["read", "write", "application_keys", "signing_keys"],
      status_list_aggregation_endpoint: `${ORIGIN}/oauth/status-lists`,
      cutoffs_endpoint: `${ORIGIN}/oauth/cutoffs`,
      application_keys_audience: "https://auth.example/v2/application-keys",
    });
  });

  it("names the request's origin as issuer when ISSUER is unset in local development", async () => {
    const dev = { ISSUER: "", ALLOW_REQUEST_ORIGIN_ISSUER: "true" };
    const body = (await (await call("/.well-known/oauth-authorization-server", {}, dev, "http://localhost:8788")).json()) as any;
    expect(body.issuer).toBe("http://localhost:8788");
    expect(body.token_endpoint).toBe("http://localhost:8788/oauth/access_token");
  });
});

describe("the test signing key", () => {
  it("a token verifies with the default test key", async () => {
    const client = await createApplicationKey();
    await expect(verifyWithJwks(await tokenFor(client, "implicit"))).resolves.toBeTruthy();
  });
});
