import { describe, expect, it } from "vitest";
import { type Env, settings } from "../../../src/config/settings.ts";
import { ConfigError } from "../../../src/lib/errors.ts";

const envOf = (vars: Record<string, string | undefined>) => ({ ISSUER: "https://auth.example", ...vars }) as unknown as Env;
const configError = (vars: Record<string, string | undefined>) => {
  try {
    settings(envOf(vars));
  } catch (e) {
    return e instanceof ConfigError ? e.message : e;
  }
  return "accepted";
};

describe("settings", () => {
  it("fills the defaults", () => {
    const s = settings(envOf({}));
    expect(s).toMatchObject({
      issuer: "https://auth.example",
      audience: undefined,
      tokenTtlSeconds: 3600,
      corsOrigins: "*",
      limitIssuance: false,
      kvTimeoutMs: 5000,
      clientCacheSeconds: 10,
      revocationCacheSeconds: 10,
      scopes: ["read", "write", "application_keys", "signing_keys"],
      defaultScope: "read write",
      signingKeyRotationDays: 30,
    });
    expect([...s.publicScopes, ...s.resources]).toStrictEqual(["read"]);
  });

  it("parses once per env object", () => {
    const env = envOf({});
    expect(settings(env)).toBe(settings(env));
  });

  it("reads lists and bounds", () => {
    const s = settings(
      envOf({ CORS_ALLOWED_ORIGINS: "https://a.example, https://b.example", TOKEN_TTL_SECONDS: "60", LIMIT_ISSUANCE: "true" }),
    );
    expect([[...(s.corsOrigins as Set<string>)], s.tokenTtlSeconds, s.limitIssuance]).toStrictEqual([
      ["https://a.example", "https://b.example"],
      60,
      true,
    ]);
  });

  it("names the setting a value breaks", () => {
    expect(configError({ TOKEN_TTL_SECONDS: "59" })).toBe("TOKEN_TTL_SECONDS must be an integer from 60 to 86400");
    expect(configError({ TOKEN_TTL_SECONDS: "86401" })).toBe("TOKEN_TTL_SECONDS must be an integer from 60 to 86400");
    expect(configError({ KV_TIMEOUT_MS: "1.5" })).toBe("KV_TIMEOUT_MS must be an integer from 1 to 60000");
    expect(configError({ CLIENT_CACHE_SECONDS: "61" })).toBe("CLIENT_CACHE_SECONDS must be an integer from 0 to 60");
    expect(configError({ ISSUER: "auth.example" })).toBe("ISSUER must be an absolute URL");
  });
});
