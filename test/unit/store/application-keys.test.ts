import { describe, expect, it } from "vitest";
import { authMethodOf, hashSecret, LEGACY_PERMISSIONS, newApplicationKey, permissionsOf } from "../../../src/store/application-keys.ts";

const attributes = { name: "shop", scope: "read", grant_types: ["implicit"], created_by: "cli" };

describe("application keys as stored", () => {
  it("a new key gets a UUIDv7 id, a 40-hex client_id and a secret stored only as its digest", async () => {
    const now = new Date("2026-11-30T12:00:00.000Z");
    const { record, clientSecret } = await newApplicationKey(attributes, now);
    expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(record.client_id).toMatch(/^[0-9a-f]{40}$/);
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record.secret_hash).toBe(await hashSecret(clientSecret!));
    expect(JSON.stringify(record)).not.toContain(clientSecret!);
    expect(record).toMatchObject({ ...attributes, created_at: now.toISOString(), updated_at: now.toISOString() });
    expect(authMethodOf(record)).toBe("client_secret_basic");
  });

  it("a private_key_jwt key gets no secret at all", async () => {
    const jwks = {
      keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "k1", alg: "EdDSA" as const }],
    };
    const { record, clientSecret } = await newApplicationKey({ ...attributes, token_endpoint_auth_method: "private_key_jwt", jwks });
    expect([clientSecret, record.secret_hash, authMethodOf(record), record.jwks]).toStrictEqual([
      undefined,
      undefined,
      "private_key_jwt",
      jwks,
    ]);
  });

  it("a record older than scopes keeps the powers every key had then", async () => {
    const { record } = await newApplicationKey(attributes);
    expect(permissionsOf(record)).toStrictEqual({ scope: "read", grant_types: ["implicit"], legacy: false });
    const { scope: _s, grant_types: _g, ...legacy } = record;
    expect(permissionsOf(legacy)).toStrictEqual({ ...LEGACY_PERMISSIONS, legacy: true });
  });
});
