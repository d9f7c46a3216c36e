import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { signAccessToken } from "../../src/tokens/sign.ts";
import { signerOf } from "../support/signer.ts";

/**
 * Pools of requests that each carry something fresh, made just before each run (proofs are
 * accepted for 60 s): private_key_jwt + DPoP issuance needs its own client assertion and proof
 * per request (each jti is used once); verification gets a fresh token per request, each of a
 * client of its own and at an index of its own in a real status list, so what is measured is
 * the signature check and the status check of a token and client never seen (the list and the
 * cut-offs fetched as a verifier fetches them: once per cache period), not the verified-token
 * cache.
 */
export const CLIENT_KID = "bench-client";

export interface PossessionKeys {
  /** The client's assertion key; its public JWK is registered with the key. */
  assertion: CryptoKey;
  assertionJwk: JWK & { kid: string; alg: "EdDSA" };
  /** The client's DPoP key, and the thumbprint its tokens are bound to. */
  dpop: CryptoKey;
  dpopJwk: JWK;
  jkt: string;
}

export async function possessionKeys(): Promise<PossessionKeys> {
  const assertion = await generateKeyPair("Ed25519", { extractable: true });
  const dpop = await generateKeyPair("Ed25519", { extractable: true });
  const dpopJwk = await exportJWK(dpop.publicKey);
  return {
    assertion: assertion.privateKey,
    assertionJwk: { ...(await exportJWK(assertion.publicKey)), kid: CLIENT_KID, alg: "EdDSA" },
    dpop: dpop.privateKey,
    dpopJwk,
    jkt: await calculateJwkThumbprint(dpopJwk),
  };
}

/** One request's own parts, sent on top of its scenario's URL and method. */
export type Fresh = { headers: Record<string, string>; body?: string };

const now = () => Math.floor(Date.now() / 1000);
const sha256 = async (text: string) =>
  base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));

export function dpopProof(k: PossessionKeys, method: string, url: string, ath?: string): Promise<string> {
  return new SignJWT({ jti: crypto.randomUUID(), htm: method, htu: url, iat: now(), ...(ath ? { ath } : {}) })
    .setProtectedHeader({ alg: "EdDSA", typ: "dpop+jwt", jwk: k.dpopJwk })
    .sign(k.dpop);
}

/** A key a DPoP proof is signed with, and the public JWK its header carries. */
export interface ProofKey {
  alg: "EdDSA" | "PS256";
  privateKey: CryptoKey;
  jwk: JWK;
}

/** `n` implicit token requests for `clientId`, each with a fresh DPoP proof signed with `key`. */
export function implicitDpopRequests(n: number, key: ProofKey, clientId: string, tokenUrl: string): Promise<Fresh[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const dpop = await new SignJWT({ jti: crypto.randomUUID(), htm: "POST", htu: tokenUrl, iat: now() })
        .setProtectedHeader({ alg: key.alg, typ: "dpop+jwt", jwk: key.jwk })
        .sign(key.privateKey);
      const body = new URLSearchParams({ grant_type: "implicit", client_id: clientId }).toString();
      return { body, headers: { "content-type": "application/x-www-form-urlencoded", dpop } };
    }),
  );
}

/** `n` token requests: a fresh assertion and a fresh proof each. */
export async function issuanceRequests(n: number, k: PossessionKeys, clientId: string, issuer: string, tokenUrl: string): Promise<Fresh[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const assertion = await new SignJWT({
        iss: clientId,
        sub: clientId,
        aud: issuer,
        iat: now(),
        exp: now() + 240,
        jti: crypto.randomUUID(),
      })
        .setProtectedHeader({ alg: "EdDSA", kid: CLIENT_KID })
        .sign(k.assertion);
      const body = new URLSearchParams({
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
      }).toString();
      return { body, headers: { "content-type": "application/x-www-form-urlencoded", dpop: await dpopProof(k, "POST", tokenUrl) } };
    }),
  );
}

/** A client_id no other token of the run has (40 hex digits, as the service makes them). */
const distinctClientId = () => Array.from(crypto.getRandomValues(new Uint8Array(20)), (b) => b.toString(16).padStart(2, "0")).join("");

/** Where the tokens signed here are: a status list of the service's (its URI), the next index in it. */
let nextIndex = 1 << 19;

/** What fresh tokens are made with: the service's signing keys, its issuer, and a status list of its. */
export interface TokenOptions {
  signingKeys: string;
  issuer: string;
  /** A status list of the service's (workers.ts statusListOf): every token gets an index of its own there. */
  statusUri: string;
}

/**
 * `n` fresh tokens (signed here, as the service signs: a key version and a status list index
 * each), each of a client of its own unless `clientId` names one.
 */
async function freshTokens(n: number, o: TokenOptions & { jkt?: string; clientId?: string }): Promise<string[]> {
  const keys = await signerOf(o.signingKeys);
  return Promise.all(
    Array.from({ length: n }, async () => {
      const { token } = await signAccessToken(keys, {
        issuer: o.issuer,
        audience: o.issuer,
        ttlSeconds: 3600,
        clientId: o.clientId ?? distinctClientId(),
        grant: "client_credentials",
        scope: "read write",
        ...(o.jkt ? { jkt: o.jkt } : {}),
        keyVersion: 1,
        status: { uri: o.statusUri, idx: nextIndex++ % (1 << 20) },
      });
      return token;
    }),
  );
}

/** `n` resource requests: a fresh DPoP-bound token and its proof each. */
export async function verificationRequests(
  n: number,
  k: PossessionKeys,
  o: TokenOptions & { url: string; clientId?: string },
): Promise<Fresh[]> {
  const tokens = await freshTokens(n, { ...o, jkt: k.jkt });
  return Promise.all(
    tokens.map(async (token) => ({
      headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(k, "GET", o.url, await sha256(token)) },
    })),
  );
}

/** `n` resource requests with a fresh bearer token each. */
export async function bearerRequests(n: number, o: TokenOptions): Promise<Fresh[]> {
  return (await freshTokens(n, o)).map((token) => ({ headers: { authorization: `Bearer ${token}` } }));
}

/** `n` introspection requests, each asking about a fresh token, as `headers` (the caller's credentials) say. */
export async function introspectionRequests(n: number, o: TokenOptions & { headers: Record<string, string> }): Promise<Fresh[]> {
  return (await freshTokens(n, o)).map((token) => ({ headers: o.headers, body: new URLSearchParams({ token }).toString() }));
}
