import { env } from "cloudflare:workers";
import { base64url, calculateJwkThumbprint, importJWK, type JWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createVerifier } from "../../src/verify.ts";
import { call, createAdmin, createApplicationKey, error, ORIGIN, post, signWith, tokenFor } from "../support/helpers.ts";
import { assertion, type ClientKey, proof } from "../support/possession.ts";

/**
 * RSA keys from outside: in a DPoP proof's header (checked before the client is even looked
 * up, so by anyone) and in a key's `jwks` (at registration and at every assertion). RSA
 * verification costs grow with the modulus and the exponent, so only 2048 to 4096 bits with
 * e = 65537 are taken, and anything else is refused before a signature is checked. The keys
 * come from vitest.config.ts (Node makes any size and exponent; workerd would not).
 */
const TOKEN = "/oauth/access_token";
const KEYS = "/v2/application-keys";
const TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const API = "https://consumer.example";
const BAD_KEY = error(
  400,
  "Bad Request",
  "invalid_dpop_proof",
  "The DPoP proof's jwk must be a public Ed25519 or P-256 key, or an RSA (PS256) key of 2048 to 4096 bits with e = 65537.",
);

type Name = "bits2048" | "bits4096" | "bits2047" | "bits4097" | "e3" | "eLarge";
const REFUSED: [Name, string][] = [
  ["bits2047", "an RSA key must have a modulus of 2048 to 4096 bits, not 2047"],
  ["bits4097", "an RSA key must have a modulus of 2048 to 4096 bits, not 4097"],
  ["e3", 'an RSA key\'s exponent must be 65537 ("AQAB")'],
  ["eLarge", 'an RSA key\'s exponent must be 65537 ("AQAB")'],
];
const ACCEPTED: Name[] = ["bits2048", "bits4096"];

/**
 * A client key from the run's RSA keys, as possession.ts makes keys. workerd will not import
 * a private key whose exponent is past 2^32, so that one signs nothing: its proofs carry a
 * signature of the right length that nobody checks before refusing the key.
 */
async function rsaKey(name: Name): Promise<ClientKey> {
  const { n, e, ...secret } = (JSON.parse(env.TEST_RSA_KEYS) as Record<Name, Record<string, string>>)[name];
  const jwk = { kty: "RSA", n: n!, e: e!, kid: name, alg: "PS256" as const };
  const privateKey =
    name === "eLarge" ? (undefined as unknown as CryptoKey) : ((await importJWK({ ...secret, n, e, kty: "RSA" }, "PS256")) as CryptoKey);
  return { alg: "PS256", privateKey, publicKey: undefined as unknown as CryptoKey, jwk: jwk as ClientKey["jwk"] };
}

/**
 * A DPoP proof with the key in its header, naming PS256 there as this service asks of an RSA
 * key; for the key that cannot sign, one of the same shape with a made-up signature.
 */
async function proofWith(k: ClientKey, method: string, url: string, accessToken?: string): Promise<string> {
  const jwk = { kty: "RSA", n: k.jwk.n, e: k.jwk.e, alg: "PS256" };
  if (k.jwk.kid !== "eLarge") return proof(k, method, url, { header: { jwk }, ...(accessToken === undefined ? {} : { accessToken }) });
  const enc = (v: unknown) => base64url.encode(new TextEncoder().encode(JSON.stringify(v)));
  const header = enc({ alg: "PS256", typ: "dpop+jwt", jwk });
  const claims = enc({ jti: crypto.randomUUID(), htm: method, htu: url, iat: Math.floor(Date.now() / 1000) });
  return `${header}.${claims}.${base64url.encode(crypto.getRandomValues(new Uint8Array(256)))}`;
}

/** POST /v2/application-keys, as a key manager, of a private_key_jwt key with `k`'s public key. */
async function register(k: ClientKey): Promise<Response> {
  const admin = await tokenFor(await createAdmin());
  return call(KEYS, {
    method: "POST",
    headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      data: { type: "application_key", name: "machine", token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [k.jwk] } },
    }),
  });
}

/** A client_credentials request with an assertion `k` signed for `clientId`. */
const withAssertion = async (k: ClientKey, clientId: string) =>
  post(TOKEN, { grant_type: "client_credentials", client_assertion_type: TYPE, client_assertion: await assertion(k, clientId, ORIGIN) });

const jktOf = (k: ClientKey) => calculateJwkThumbprint({ kty: "RSA", n: k.jwk.n!, e: k.jwk.e! } as JWK);

describe("an RSA key in a DPoP proof at the token endpoint", () => {
  for (const [name] of REFUSED) {
    it(`${name}: 400 invalid_dpop_proof, for any caller, before the signature is checked`, async () => {
      const c = await createApplicationKey();
      const res = await post(
        TOKEN,
        { grant_type: "implicit", client_id: c.client_id },
        { DPoP: await proofWith(await rsaKey(name), "POST", `${ORIGIN}${TOKEN}`) },
      );
      expect(res.status).toBe(400);
      expect(await res.json()).toStrictEqual(BAD_KEY);
      // An unknown client_id is refused the same way: the proof is checked first.
      const stranger = await post(
        TOKEN,
        { grant_type: "implicit", client_id: "0".repeat(40) },
        { DPoP: await proofWith(await rsaKey(name), "POST", `${ORIGIN}${TOKEN}`) },
      );
      expect([stranger.status, await stranger.json()]).toStrictEqual([400, BAD_KEY]);
    });
  }
  for (const name of ACCEPTED) {
    it(`${name}: a token bound to it`, async () => {
      const c = await createApplicationKey();
      const k = await rsaKey(name);
      const res = await post(
        TOKEN,
        { grant_type: "implicit", client_id: c.client_id },
        { DPoP: await proofWith(k, "POST", `${ORIGIN}${TOKEN}`) },
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { token_type: string; access_token: string };
      expect(body.token_type).toBe("DPoP");
      expect(JSON.parse(atob(body.access_token.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/"))).cnf).toStrictEqual({
        jkt: await jktOf(k),
      });
    });
  }
});

describe("an RSA key in a DPoP proof that does not name its alg (as oauth4webapi sends it)", () => {
  it("is taken as PS256 when the proof is PS256, within the same bounds; in an RS256 proof it is refused", async () => {
    const c = await createApplicationKey();
    for (const [name, status] of [
      ["bits4096", 200],
      ["bits4097", 400],
    ] as const) {
      const k = await rsaKey(name);
      const jwk = { kty: "RSA", n: k.jwk.n, e: k.jwk.e };
      const res = await post(
        TOKEN,
        { grant_type: "implicit", client_id: c.client_id },
        { DPoP: await proof(k, "POST", `${ORIGIN}${TOKEN}`, { header: { jwk } }) },
      );
      expect([name, res.status]).toStrictEqual([name, status]);
    }
    const k = await rsaKey("bits2048");
    const rs256 = await new SignJWT({ jti: crypto.randomUUID(), htm: "POST", htu: `${ORIGIN}${TOKEN}`, iat: Math.floor(Date.now() / 1000) })
      .setProtectedHeader({ alg: "RS256", typ: "dpop+jwt", jwk: { kty: "RSA", n: k.jwk.n, e: k.jwk.e } } as never)
      .sign((await importJWK({ ...(JSON.parse(env.TEST_RSA_KEYS) as Record<string, JWK>).bits2048, alg: "RS256" }, "RS256")) as CryptoKey);
    const refused = await post(TOKEN, { grant_type: "implicit", client_id: c.client_id }, { DPoP: rs256 });
    expect([refused.status, await refused.json()]).toStrictEqual([400, BAD_KEY]);
  });
});

describe("an RSA key in a DPoP proof at a verifier", () => {
  /** A token bound to the key's thumbprint, as one issued before this bound would be. */
  const boundTo = async (k: ClientKey) => signWith({ cnf: { jkt: await jktOf(k) }, scope: "read" });

  for (const [name] of REFUSED) {
    it(`${name}: 401 dpop_invalid over RPC and in the module verifier`, async () => {
      const k = await rsaKey(name);
      const token = await boundTo(k);
      for (const way of ["rpc", "module"]) {
        const url = `${API}/${way}/reports`;
        const res = await env.CONSUMER.fetch(url, {
          headers: { Authorization: `DPoP ${token}`, DPoP: await proofWith(k, "GET", url, token) },
        });
        expect([way, res.status, res.headers.get("X-Verify-Error")]).toStrictEqual([way, 401, "dpop_invalid"]);
      }
    });
  }
  it("bits4096: the bound token passes with its proof, both ways", async () => {
    const k = await rsaKey("bits4096");
    const token = await boundTo(k);
    for (const way of ["rpc", "module"]) {
      const url = `${API}/${way}/reports`;
      const res = await env.CONSUMER.fetch(url, {
        headers: { Authorization: `DPoP ${token}`, DPoP: await proofWith(k, "GET", url, token) },
      });
      expect([way, res.status]).toStrictEqual([way, 200]);
    }
  });
});

describe("an RSA key in a key's jwks", () => {
  for (const [name, reason] of REFUSED) {
    it(`${name}: the admin API refuses the key set, naming the key`, async () => {
      const res = await register(await rsaKey(name));
      expect(res.status).toBe(400);
      expect(await res.json()).toStrictEqual(
        error(400, "Bad Request", "invalid_request", `The field "data.jwks" is not a usable key set: key "${name}": ${reason}.`),
      );
    });
  }

  for (const [name] of REFUSED.filter(([n]) => n !== "eLarge")) {
    it(`${name}, registered before this bound: its assertions are refused, 401 invalid_client`, async () => {
      const k = await rsaKey(name);
      // The registry stores what it is given: the admin API and the CLI are where key sets are checked.
      const key = await createApplicationKey("machine", {
        token_endpoint_auth_method: "private_key_jwt",
        jwks: { keys: [k.jwk as never] },
      });
      const res = await withAssertion(k, key.client_id);
      expect(res.status).toBe(401);
      expect(await res.json()).toStrictEqual(error(401, "Unauthorized", "invalid_client", "Client authentication failed."));
    });
  }

  it("bits4096: registered, and its assertions get tokens", async () => {
    const k = await rsaKey("bits4096");
    const res = await register(k);
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: { client_id: string } };
    expect((await withAssertion(k, data.client_id)).status).toBe(200);
  });
});

describe("an RSA key in a key set a verifier is given", () => {
  it("is never imported: the issuer's keys are Ed25519 or P-256, so a PS256 token naming it is refused whatever its size", async () => {
    for (const name of ["bits4096", "bits4097"] as const) {
      const k = await rsaKey(name);
      const verifier = createVerifier({ issuer: ORIGIN, jwks: { keys: [{ ...k.jwk, use: "sig" }] } });
      const token = await new SignJWT({
        iss: ORIGIN,
        aud: ORIGIN,
        sub: "x",
        client_id: "x",
        scope: "read",
        jti: "j",
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 60,
      })
        .setProtectedHeader({ alg: "PS256", kid: name, typ: "at+jwt" })
        .sign(k.privateKey);
      expect(await verifier.verify(token, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "alg_not_allowed" });
    }
  });
});
