import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkClientAssertion } from "../../src/auth/client-assertion.ts";
import { privateKeyPath } from "../../src/cli/client-key-commands.ts";
import { ROOT } from "../../src/cli/wrangler.ts";
import type { ApplicationKey } from "../../src/store/application-keys.ts";
import { usableJwks } from "../../src/tokens/client-keys.ts";
import { checkDpopProof } from "../../src/tokens/dpop-proof.ts";
import { keysCommand } from "../support/keys-cli.ts";

/**
 * `npm run keys -- client-key | client-assertion | dpop-proof`: what a client holds and sends,
 * made at the command line, held to the service's own checks (the jwks a key may register, the
 * assertion check of the token endpoint, the DPoP proof check). The docs' walk runs them as a
 * newcomer does (docs-walkthrough.test.ts); here every key type, and the refusals.
 */
let dir: string;
const TOKEN_ENDPOINT = "http://localhost:8787/oauth/access_token";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edge-token-client-keys-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The command with this test's files: the private JWK and the public set in the temporary directory. */
const files = (name: string) => ["--private-key", join(dir, `${name}.private.jwk.json`), "--jwks", join(dir, `${name}.jwks.json`)];
const keys = (...args: string[]) => keysCommand(args);
const clientKey = async (name: string, ...args: string[]) => {
  const made = await keys("client-key", name, ...files(name), ...args);
  expect(made.code).toBe(0);
  return JSON.parse(made.stdout) as { keys: (JWK & { kid: string })[] };
};
const privateJwk = async (name: string) => JSON.parse(await readFile(join(dir, `${name}.private.jwk.json`), "utf8")) as JWK;

describe("client-key", () => {
  it.each([
    ["EdDSA", { kty: "OKP", crv: "Ed25519" }],
    ["ES256", { kty: "EC", crv: "P-256" }],
    ["PS256", { kty: "RSA", e: "AQAB" }],
  ] as const)("makes an %s key pair: the private JWK 0600, the public set one the service registers", async (alg, shape) => {
    const name = `k-${alg}`;
    const set = await clientKey(name, "--alg", alg);
    const [key] = set.keys;
    expect(key).toMatchObject({ ...shape, alg, use: "sig" });
    expect(Object.keys(key!).filter((m) => ["d", "p", "q", "dp", "dq", "qi"].includes(m))).toStrictEqual([]);
    // its kid is the RFC 7638 thumbprint, as a DPoP-bound token's cnf.jkt will be
    expect(key!.kid).toBe(await calculateJwkThumbprint(key!));
    expect(JSON.parse(await readFile(join(dir, `${name}.jwks.json`), "utf8"))).toStrictEqual(set);
    expect(await usableJwks(set)).toMatchObject({ keys: [{ kid: key!.kid, alg }] });
    if (alg === "PS256") expect(Buffer.from(key!.n!, "base64url").length * 8).toBe(2048);

    const secret = await privateJwk(name);
    expect(secret).toMatchObject({ ...key, d: expect.any(String) });
    expect((await stat(join(dir, `${name}.private.jwk.json`))).mode & 0o777).toBe(0o600);
  });

  it("keeps a key it made: the same public set again, and a refusal to change its algorithm", async () => {
    const first = await clientKey("kept");
    const again = await keys("client-key", "kept", ...files("kept"));
    expect(JSON.parse(again.stdout)).toStrictEqual(first);
    expect(again.stderr).toContain("keys: kept the client key kept");
    const other = await keys("client-key", "kept", ...files("kept"), "--alg", "ES256");
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("the client key kept is an EdDSA key");
  });

  it("keeps its private half out of git by default: in the checkout's .wrangler/, which .gitignore names", async () => {
    const path = privateKeyPath("billing");
    expect(relative(ROOT, path)).toBe(".wrangler/client-keys/billing.private.jwk.json");
    await promisify(execFile)("git", ["check-ignore", "-q", relative(ROOT, path)], { cwd: ROOT });
  });

  it("refuses a name that is not a plain file name, and an algorithm it cannot make", async () => {
    for (const name of ["../escape", ".hidden", "a b", ""]) {
      const refused = await keys("client-key", name);
      expect(refused.code).toBe(2);
    }
    expect((await keys("client-key", "x", ...files("x"), "--alg", "RS256")).stderr).toContain("--alg must be EdDSA, ES256 or PS256");
  });
});

describe("client-assertion", () => {
  it.each(["EdDSA", "ES256", "PS256"])("an %s key's assertion passes the token endpoint's own check (RFC 7523)", async (alg) => {
    const name = `a-${alg}`;
    await clientKey(name, "--alg", alg);
    const printed = await keys("client-assertion", name, ...files(name), "--client-id", "c0ffee", "--aud", TOKEN_ENDPOINT);
    expect(printed.code).toBe(0);
    const assertion = printed.stdout.trim();
    const claims = decodeJwt(assertion);
    expect(claims).toStrictEqual({
      iss: "c0ffee",
      sub: "c0ffee",
      aud: TOKEN_ENDPOINT,
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: claims.iat! + 120,
    });
    expect(decodeProtectedHeader(assertion)).toStrictEqual({ alg, kid: (await privateJwk(name)).kid });
    const client = { client_id: "c0ffee", jwks: await usableJwks(await clientKey(name)) } as unknown as ApplicationKey;
    expect(await checkClientAssertion(assertion, client, [TOKEN_ENDPOINT])).toStrictEqual({ jti: claims.jti, exp: claims.exp });
    // another client, or another audience, is refused
    expect(await checkClientAssertion(assertion, { ...client, client_id: "another" }, [TOKEN_ENDPOINT])).toBeUndefined();
    expect(await checkClientAssertion(assertion, client, ["https://elsewhere.example"])).toBeUndefined();
  });

  it("each has a jti of its own", async () => {
    await clientKey("jti");
    const jti = async () =>
      decodeJwt((await keys("client-assertion", "jti", ...files("jti"), "--client-id", "c", "--aud", TOKEN_ENDPOINT)).stdout.trim()).jti;
    expect(await jti()).not.toBe(await jti());
  });

  it("needs a key that exists, a client id and an audience", async () => {
    const missing = await keys(
      "client-assertion",
      "nobody",
      "--private-key",
      join(dir, "nobody.json"),
      "--client-id",
      "c",
      "--aud",
      TOKEN_ENDPOINT,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("there is no client key nobody");
    expect(missing.stderr).toContain("npm run keys -- client-key nobody");
    expect((await keys("client-assertion", "jti", ...files("jti"), "--aud", TOKEN_ENDPOINT)).code).toBe(2);
    expect((await keys("client-assertion", "jti", ...files("jti"), "--client-id", "c")).code).toBe(2);
  });
});

describe("dpop-proof", () => {
  it.each(["EdDSA", "ES256", "PS256"])(
    "an %s key's proof passes the service's DPoP check (RFC 9449), bound to its thumbprint",
    async (alg) => {
      const name = `d-${alg}`;
      const [key] = (await clientKey(name, "--alg", alg)).keys;
      const printed = await keys("dpop-proof", name, ...files(name), "--url", `${TOKEN_ENDPOINT}?ignored=1#too`);
      expect(printed.code).toBe(0);
      const proof = printed.stdout.trim();
      const header = decodeProtectedHeader(proof);
      expect(header).toMatchObject({ typ: "dpop+jwt", alg });
      expect(header.jwk).not.toHaveProperty("d");
      expect(decodeJwt(proof)).toStrictEqual({ htm: "POST", htu: TOKEN_ENDPOINT, jti: expect.any(String), iat: expect.any(Number) });
      expect(await checkDpopProof(proof, { method: "POST", url: TOKEN_ENDPOINT })).toMatchObject({ jkt: key!.kid });
      expect(await checkDpopProof(proof, { method: "GET", url: TOKEN_ENDPOINT })).toBe("wrong_method");
    },
  );

  it("for a resource request: the method, and ath binding it to the token it goes with", async () => {
    await clientKey("resource");
    const token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln";
    const url = "https://orders.example/orders";
    const proof = (
      await keys("dpop-proof", "resource", ...files("resource"), "--method", "GET", "--url", url, "--access-token", token)
    ).stdout.trim();
    expect(decodeJwt(proof)).toMatchObject({ htm: "GET", htu: url, ath: createHash("sha256").update(token).digest("base64url") });
    expect(await checkDpopProof(proof, { method: "GET", url, accessToken: token })).toMatchObject({ jti: decodeJwt(proof).jti });
    expect(await checkDpopProof(proof, { method: "GET", url, accessToken: `${token}x` })).toBe("wrong_ath");
  });

  it("needs an absolute URL and a method in capitals", async () => {
    await clientKey("bad");
    expect((await keys("dpop-proof", "bad", ...files("bad"))).code).toBe(2);
    expect((await keys("dpop-proof", "bad", ...files("bad"), "--url", "/oauth/access_token")).stderr).toContain(
      "--url must be an absolute URL",
    );
    expect((await keys("dpop-proof", "bad", ...files("bad"), "--url", TOKEN_ENDPOINT, "--method", "post")).code).toBe(2);
  });
});
