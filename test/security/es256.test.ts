import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { base64url, decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { registry } from "../../src/store/registry.ts";
import { call, createApplicationKey, ORIGIN, post, verifyWithJwks } from "../support/helpers.ts";

/**
 * A deployment that signs with ES256 (P-256): moved there by a rotation that names the
 * algorithm, as an operator would (npm run keys -- signing rotate --now --alg ES256). Its own
 * registry: the rotation revokes every token the suite's other files hold.
 */
beforeAll(async () => {
  const answer = await registry(env).rotateSigningKeys({ kind: "operator", actor: "test" }, { emergency: true, alg: "ES256" });
  expect(answer.ok).toBe(true);
});

/** P-256's group order: an ECDSA signature (r, s) also verifies as (r, n − s). */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const toBigInt = (bytes: Uint8Array) => BigInt(`0x${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`);
const sOf = (token: string) => toBigInt(base64url.decode(token.split(".")[2]!).slice(32));

/** The same token with (r, n − s): the other signature ECDSA accepts for the same message and key. */
function mirrored(token: string): string {
  const [h, p, sig] = token.split(".") as [string, string, string];
  const bytes = base64url.decode(sig);
  const s = (P256_N - toBigInt(bytes.slice(32))).toString(16).padStart(64, "0");
  const out = new Uint8Array(64);
  out.set(bytes.slice(0, 32));
  for (let i = 0; i < 32; i++) out[32 + i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return `${h}.${p}.${base64url.encode(out)}`;
}

const jwks = async () => (await (await call("/.well-known/jwks.json")).json()) as { keys: Record<string, string>[] };

describe("ES256", () => {
  it("signs with the P-256 key the rotation made, published in the JWKS", async () => {
    const { keys } = await jwks();
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]!).sort()).toStrictEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    expect(keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    const client = await createApplicationKey();
    const res = await post("/oauth/access_token", { grant_type: "implicit", client_id: client.client_id });
    expect(res.status).toBe(200);
    const token = ((await res.json()) as { access_token: string }).access_token;
    expect(decodeProtectedHeader(token)).toStrictEqual({ alg: "ES256", kid: keys[0]!.kid, typ: "at+jwt" });
    expect((await verifyWithJwks(token)).payload.client_id).toBe(client.client_id);
  });

  it("signs only low-S, and refuses the high-S twin of a token on every path", async () => {
    const client = await createApplicationKey();
    const half = P256_N / 2n;
    const tokens: string[] = [];
    for (let i = 0; i < 24; i++) {
      const res = await post("/oauth/access_token", {
        grant_type: "client_credentials",
        client_id: client.client_id,
        client_secret: client.client_secret,
      });
      tokens.push(((await res.json()) as { access_token: string }).access_token);
    }
    // Random ECDSA signatures are high-S half the time: 24 low-S ones by chance is one in 16 million.
    expect(tokens.filter((t) => sOf(t) > half)).toStrictEqual([]);

    const token = tokens[0]!;
    const twin = mirrored(token);
    expect(sOf(twin) > half).toBe(true);
    // The twin is a valid ECDSA signature: WebCrypto accepts it for the same key and message.
    const jwk = (await jwks()).keys[0]!;
    const publicKey = await crypto.subtle.importKey(
      "jwk",
      { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y },
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["verify"],
    );
    const [h, p, sig] = twin.split(".") as [string, string, string];
    expect(
      await crypto.subtle.verify(
        { name: "ECDSA", hash: "SHA-256" },
        publicKey,
        base64url.decode(sig),
        new TextEncoder().encode(`${h}.${p}`),
      ),
    ).toBe(true);

    const rpc = new TokenVerifier(createExecutionContext(), env);
    expect((await rpc.verify(token, { method: "GET" })).valid).toBe(true);
    expect(await rpc.verify(twin, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "bad_signature" });
    const inspector = await createApplicationKey("inspector");
    const introspected = await post("/oauth/introspect", {
      token: twin,
      client_id: inspector.client_id,
      client_secret: inspector.client_secret,
    });
    expect(await introspected.json()).toStrictEqual({ active: false });
    const { createVerifier } = await import("../../src/verify.ts");
    const module = createVerifier({ issuer: ORIGIN, jwks: await jwks(), revocations: false });
    expect((await module.verify(token, { method: "GET" })).valid).toBe(true);
    expect(await module.verify(twin, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "bad_signature" });
  });
});
