import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { createVerifier } from "../../src/verify.ts";
import { call, createApplicationKey, ORIGIN, post } from "../support/helpers.ts";

async function newKey(kid: string, alg: "EdDSA" | "ES256" = "EdDSA") {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: "sig" };
}

const withKeys = (...keys: object[]) => ({ SIGNING_KEYS: JSON.stringify({ keys }) });

/** Checks a token on every path: introspection, RPC, and the importable module. */
async function checkEverywhere(
  token: string,
  overrides: { SIGNING_KEYS: string },
  inspector: { client_id: string; client_secret: string },
) {
  const introspected = (await (await post("/oauth/introspect", { token, ...inspector }, {}, overrides)).json()) as { active: boolean };
  const rpc = await new TokenVerifier(createExecutionContext(), { ...env, ...overrides }).verify(token, { method: "GET" });
  const jwks = (await (await call("/.well-known/jwks.json", {}, overrides)).json()) as { keys: unknown[] };
  // A key set given as an object: its status documents would come over the network, which this test has none of.
  const module = await createVerifier({ issuer: ORIGIN, jwks, revocations: false }).verify(token, { method: "GET" });
  return [introspected.active, rpc.valid ? "valid" : rpc.error, module.valid ? "valid" : module.error];
}

describe("signing-key rotation", () => {
  it("never breaks a live token: publish, activate, then drop", async () => {
    const client = await createApplicationKey();
    const inspector = await createApplicationKey("inspector");
    const creds = { client_id: inspector.client_id, client_secret: inspector.client_secret };
    const oldKey = await newKey("old");
    const nextKey = await newKey("next", "ES256");
    const issue = async (overrides: { SIGNING_KEYS: string }) =>
      (
        (await (await post("/oauth/access_token", { grant_type: "implicit", client_id: client.client_id }, {}, overrides)).json()) as {
          access_token: string;
        }
      ).access_token;

    // 1. only the old key
    const before = withKeys(oldKey);
    const oldToken = await issue(before);

    // 2. publish the next key, old still signs
    const published = withKeys(oldKey, nextKey);
    const jwks = (await (await call("/.well-known/jwks.json", {}, published)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toStrictEqual(["old", "next"]);
    expect(JSON.parse(atob((await issue(published)).split(".")[0]!)).kid).toBe("old");

    // 3. activate: the next key signs, the old one stays published; old tokens keep verifying
    const activated = withKeys(nextKey, oldKey);
    const newToken = await issue(activated);
    expect(JSON.parse(atob(newToken.split(".")[0]!))).toMatchObject({ kid: "next", alg: "ES256" });
    expect(await checkEverywhere(oldToken, activated, creds)).toStrictEqual([true, "valid", "valid"]);
    expect(await checkEverywhere(newToken, activated, creds)).toStrictEqual([true, "valid", "valid"]);

    // 4. drop the old key: its tokens stop verifying, the new ones do not
    const dropped = withKeys(nextKey);
    expect(await checkEverywhere(oldToken, dropped, creds)).toStrictEqual([false, "unknown_kid", "unknown_kid"]);
    expect(await checkEverywhere(newToken, dropped, creds)).toStrictEqual([true, "valid", "valid"]);
  });
});
