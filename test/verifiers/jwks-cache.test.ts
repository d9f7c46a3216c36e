import { env } from "cloudflare:workers";
import { generateKeyPair } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createVerifier, JwksUnavailableError } from "../../src/verify.ts";
import { signWith } from "../support/helpers.ts";

afterEach(() => vi.useRealTimers());

/** The real edge-token Worker behind a binding, with its JWKS fetches counted. */
function countingJwks() {
  const counter = {
    fetches: 0,
    fetch(url: string) {
      counter.fetches++;
      return env.EDGE_TOKEN.fetch(url);
    },
  };
  return counter;
}

// The key cache lives in module scope, keyed by the JWKS URL: each test takes its own issuer.
const issuerFor = (name: string) => `https://${name}.auth.example`;

describe("the importable verifier's key cache", () => {
  it("fetches the key set once and reuses it", async () => {
    const issuer = issuerFor("reuse");
    const jwks = countingJwks();
    const verifier = createVerifier({ issuer, revocations: false, jwks: jwks as unknown as Fetcher });
    const token = await signWith({ iss: issuer, aud: issuer });
    for (let i = 0; i < 20; i++) expect((await verifier.verify(token)).valid).toBe(true);
    expect(jwks.fetches).toBe(1);
  });

  it("a burst of unknown kids refetches at most once per cooldown", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const issuer = issuerFor("burst");
    const jwks = countingJwks();
    const verifier = createVerifier({ issuer, revocations: false, jwks: jwks as unknown as Fetcher, jwksRefetchCooldownSeconds: 30 });
    const { privateKey } = await generateKeyPair("Ed25519");
    const madeUp = (i: number) => signWith({ iss: issuer, aud: issuer }, { kid: `made-up-${i}` }, privateKey);

    const genuine = await signWith({ iss: issuer, aud: issuer });
    expect((await verifier.verify(genuine)).valid).toBe(true);
    expect(jwks.fetches).toBe(1);

    vi.setSystemTime(Date.now() + 31_000);
    const burst = await Promise.all(Array.from({ length: 200 }, async (_, i) => verifier.verify(await madeUp(i))));
    expect(burst.every((r) => !r.valid && r.error === "unknown_kid")).toBe(true);
    expect(jwks.fetches).toBe(2); // the first unknown kid, once

    vi.setSystemTime(Date.now() + 10_000);
    for (let i = 0; i < 50; i++) await verifier.verify(await madeUp(1000 + i));
    expect(jwks.fetches).toBe(2); // still inside the cooldown

    vi.setSystemTime(Date.now() + 31_000);
    for (let i = 0; i < 50; i++) await verifier.verify(await madeUp(2000 + i));
    expect(jwks.fetches).toBe(3);
    expect((await verifier.verify(genuine)).valid).toBe(true);
  });

  it("refetches after the max age, and picks up a key that was added", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const issuer = issuerFor("maxage");
    const jwks = countingJwks();
    const verifier = createVerifier({ issuer, revocations: false, jwks: jwks as unknown as Fetcher, jwksMaxAgeSeconds: 300 });
    const token = await signWith({ iss: issuer, aud: issuer });
    await verifier.verify(token);
    vi.setSystemTime(Date.now() + 299_000);
    await verifier.verify(token);
    expect(jwks.fetches).toBe(1);
    vi.setSystemTime(Date.now() + 2_000);
    await verifier.verify(token);
    expect(jwks.fetches).toBe(2);
  });

  it("throws a typed error when no key set can be had at all, and retries only after the cooldown", async () => {
    const issuer = issuerFor("down");
    let fetches = 0;
    const down = {
      fetch: async () => {
        fetches++;
        return new Response("unavailable", { status: 503 });
      },
    };
    const verifier = createVerifier({ issuer, revocations: false, jwks: down as unknown as Fetcher });
    const token = await signWith({ iss: issuer, aud: issuer });
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(JwksUnavailableError);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: "ERR_JWKS_UNAVAILABLE" });
    expect(fetches).toBe(1);
  });

  it("verifies against a key set object without fetching", async () => {
    const issuer = issuerFor("static");
    const set = await (await env.EDGE_TOKEN.fetch("https://edge-token/.well-known/jwks.json")).json();
    const verifier = createVerifier({ issuer, revocations: false, jwks: set as { keys: unknown[] } });
    expect((await verifier.verify(await signWith({ iss: issuer, aud: issuer }))).valid).toBe(true);
    expect(await verifier.verify(await signWith({ iss: "https://other.example", aud: issuer }))).toStrictEqual({
      valid: false,
      status: 401,
      error: "wrong_issuer",
    });
  });
});
