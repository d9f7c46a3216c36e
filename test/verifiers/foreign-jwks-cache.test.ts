import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { jwk } from "hono/jwk";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type RemoteJWKSetOptions } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import verifyingTokens from "../../docs/verifying-tokens.md";
import type { Env } from "../../src/config/settings.ts";
import worker from "../../src/index.ts";
import hono from "../fixtures/recipes/hono.ts";
import honoSource from "../fixtures/recipes/hono.ts?raw";
import { bearerVerifier } from "../fixtures/recipes/jose.ts";
import joseSource from "../fixtures/recipes/jose.ts?raw";
import { call, createApplicationKey, issueAt, nowSeconds, ORIGIN, tokenFor } from "../support/helpers.ts";
import { check, lagAtB, type Where } from "../support/locations.ts";

/**
 * Verifiers that are not edge-token's: they read the JWKS and nothing else (jose's
 * createRemoteJWKSet, hono/jwk), so they learn of a rotation only from their next copy of the
 * key set, never from the cut-offs that name a revoked kid. What each sees after an emergency
 * rotation and a scheduled one, on a clock the test moves a second at a time, with jose's
 * defaults, with the recipes' settings (docs/verifying-tokens.md), and with a key set cached as
 * long as jose's default. Storage of its own: it rotates the keys every other suite signs with.
 */
const JWKS_URL = `${ORIGIN}/.well-known/jwks.json`;
const SECOND = 1000;
const CRON = "*/15 * * * *"; // wrangler.toml [triggers]

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** The clock only moves forward across the file: the service refuses KV copies older than one it has seen. */
let latest = 0;
function clockAt(ms: number): void {
  latest = Math.max(latest, ms);
  vi.setSystemTime(ms);
}
function startClock(): number {
  vi.useFakeTimers({ toFake: ["Date"] });
  const start = Math.max(Date.now(), latest) + SECOND;
  clockAt(start);
  return start;
}

/** Where the JWKS fetch of the verifier being asked goes: A (this Worker) or B (a location whose KV may lag). */
let jwksFrom: Where = "A";
function serveJwks(): void {
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url !== JWKS_URL) return real(input, init);
    return jwksFrom === "A" ? call("/.well-known/jwks.json", init) : env.EDGE_TOKEN.fetch(url, init);
  });
}

/** How a verifier answers a token: "valid", or why not. */
type Verifier = (token: string) => Promise<string>;
const at =
  (where: Where, verifier: Verifier): Verifier =>
  (token) => {
    jwksFrom = where;
    return verifier(token);
  };

/** jose's jwtVerify with createRemoteJWKSet, told these options (none: jose's defaults, a 10-minute cache and a 30 s cooldown). */
function joseWith(options?: RemoteJWKSetOptions): Verifier {
  const jwks = createRemoteJWKSet(new URL(JWKS_URL), options);
  return (token) =>
    jwtVerify(token, jwks, { typ: "at+jwt", issuer: ORIGIN, audience: ORIGIN, algorithms: ["EdDSA", "ES256"] }).then(
      () => "valid",
      (e: { code?: string }) => e.code ?? String(e),
    );
}

/** The jose recipe, as docs/verifying-tokens.md prints it. */
function joseRecipe(): Verifier {
  const verify = bearerVerifier(ORIGIN);
  return (token) =>
    verify(token).then(
      () => "valid",
      (e: { code?: string }) => e.code ?? String(e),
    );
}

const honoAnswer = async (res: Response) => (res.status === 200 ? "valid" : String(res.status));
const products = (token: string) => new Request("https://api.example/api/products", { headers: { Authorization: `Bearer ${token}` } });

/** The hono/jwk recipe, as docs/verifying-tokens.md prints it (one per isolate: its key set lives in module scope). */
const honoRecipe: Verifier = async (token) => honoAnswer(await hono.fetch(products(token), { ISSUER: ORIGIN }, createExecutionContext()));

/** hono/jwk with its key set kept `maxAgeMs` in the way the recipe keeps it, for a longer age (issue 33 tried 10 minutes). */
function honoCachedFor(maxAgeMs: number): Verifier {
  let held: { keys: JsonWebKey[]; at: number } | undefined;
  const app = new Hono();
  app.use(
    "/api/*",
    jwk({
      keys: async () => {
        if (!held || Date.now() - held.at >= maxAgeMs) {
          const set = (await (await fetch(JWKS_URL)).json()) as { keys: JsonWebKey[] };
          held = { keys: set.keys, at: Date.now() };
        }
        return held.keys;
      },
      alg: ["EdDSA", "ES256"],
      verification: { typ: "at+jwt", iss: ORIGIN, aud: ORIGIN },
    }),
  );
  app.get("/api/products", (c) => c.json({}));
  return async (token) => honoAnswer(await app.fetch(products(token)));
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid!;
const jwksKids = async () => ((await (await call("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

/** A rotation asked for through the admin API, as `npm run keys -- signing rotate [--now]` asks for one. */
async function rotate(emergency: boolean): Promise<void> {
  const manager = await createApplicationKey("signing manager", { scope: "signing_keys" });
  const res = await call("/v2/signing-keys/rotate", {
    method: "POST",
    headers: { Authorization: `Bearer ${await tokenFor(manager)}`, "Content-Type": "application/json" },
    body: JSON.stringify({ data: { type: "signing_key_rotation", emergency } }),
  });
  expect(res.status).toBe(200);
}

/**
 * Asks each verifier about its token every `step` seconds, from `start` for `seconds`, and
 * returns the seconds at which each one's answer changed (with the answer it changed to).
 * `before` runs first each time.
 */
async function playOut(
  start: number,
  seconds: number,
  probes: Record<string, { verifier: Verifier; token: () => Promise<string> }>,
  before: (second: number) => Promise<void> = async () => {},
  step = 1,
): Promise<Record<string, [number, string][]>> {
  const changes: Record<string, [number, string][]> = {};
  const last: Record<string, string> = {};
  for (let s = 0; s <= seconds; s += step) {
    clockAt(start + s * SECOND);
    await before(s);
    for (const [name, { verifier, token }] of Object.entries(probes)) {
      const answer = await verifier(await token());
      if (answer !== last[name]) changes[name] = [...(changes[name] ?? []), [s, answer]];
      last[name] = answer;
    }
  }
  return changes;
}

describe("an emergency rotation, at verifiers that read only the JWKS", () => {
  it("each accepts the leaked key's tokens until its copy of the JWKS is renewed: jose's defaults for 600 s, the recipes for 10 s (more where the issuer's copy lags)", async () => {
    serveJwks();
    const client = await createApplicationKey("leaked key's holder");
    const start = startClock();
    const before = await tokenFor(client);
    const leakedKid = kidOf(before);

    // Each verifier has just fetched the key set (the worst moment for a rotation): the leaked key in it.
    // Two of each (but the hono/jwk recipe, one per isolate): one sees only the leaked key's
    // tokens, the other only the new key's (a jose verifier refetches for an unknown kid).
    const verifiers = {
      "jose defaults": [at("A", joseWith()), at("A", joseWith())],
      "jose recipe": [at("A", joseRecipe()), at("A", joseRecipe())],
      "jose recipe, at a lagging location": [at("B", joseRecipe()), at("B", joseRecipe())],
      "hono/jwk recipe": [at("A", honoRecipe), at("A", honoRecipe)],
      "hono/jwk, key set kept 10 min": [at("A", honoCachedFor(600 * SECOND)), at("A", honoCachedFor(600 * SECOND))],
    };
    await lagAtB({ CLIENTS: ["signing-keys"] }); // B's KV keeps the key set from before the rotation
    for (const [name, pair] of Object.entries(verifiers)) {
      for (const verify of pair) expect([name, await verify(before)]).toStrictEqual([name, "valid"]);
    }

    await rotate(true);
    expect(await jwksKids()).not.toContain(leakedKid); // the issuer's JWKS dropped it at once
    const fresh = await tokenFor(client);
    expect(kidOf(fresh)).not.toBe(leakedKid);
    // Whoever holds the leaked key signs a token of their own, with a fresh iat, every second.
    const leaked = async () => (await issueAt(client, nowSeconds())).token;
    const freshToken = async () => fresh;

    const probes: Parameters<typeof playOut>[2] = {
      "edge-token (RPC), leaked key": { verifier: (t) => check("A", t), token: leaked },
    };
    for (const [name, [forLeaked, forFresh]] of Object.entries(verifiers)) {
      probes[`${name}, leaked key`] = { verifier: forLeaked!, token: leaked };
      probes[`${name}, new key`] = { verifier: forFresh!, token: freshToken };
    }
    // B's KV catches up 55 s after the rotation (KV takes about 60 s to reach every location).
    const CAUGHT_UP = 55;
    const changes = await playOut(start, 620, probes, async (s) => {
      if (s === CAUGHT_UP) await lagAtB({ CLIENTS: [] });
    });

    expect(changes).toStrictEqual({
      // edge-token's own verifiers read the cut-offs that name the kid (here, the location that rotated: at once)
      "edge-token (RPC), leaked key": [[0, "unknown_kid"]],
      // jose's defaults: the copy is kept 600 s; the cooldown lets an unknown kid refetch after 30 s
      "jose defaults, leaked key": [
        [0, "valid"],
        [600, "ERR_JWKS_NO_MATCHING_KEY"],
      ],
      "jose defaults, new key": [
        [0, "ERR_JWKS_NO_MATCHING_KEY"],
        [30, "valid"],
      ],
      // the recipe: a copy is kept 10 s, so neither waits longer
      "jose recipe, leaked key": [
        [0, "valid"],
        [10, "ERR_JWKS_NO_MATCHING_KEY"],
      ],
      "jose recipe, new key": [
        [0, "ERR_JWKS_NO_MATCHING_KEY"],
        [10, "valid"],
      ],
      // where the issuer's location serves the old key set a while longer, the recipe adds its 10 s at most
      "jose recipe, at a lagging location, leaked key": [
        [0, "valid"],
        [60, "ERR_JWKS_NO_MATCHING_KEY"],
      ],
      "jose recipe, at a lagging location, new key": [
        [0, "ERR_JWKS_NO_MATCHING_KEY"],
        [60, "valid"],
      ],
      "hono/jwk recipe, leaked key": [
        [0, "valid"],
        [10, "401"],
      ],
      "hono/jwk recipe, new key": [
        [0, "401"],
        [10, "valid"],
      ],
      // a key set kept 10 minutes, with no refetch for an unknown kid: wrong both ways for 600 s
      "hono/jwk, key set kept 10 min, leaked key": [
        [0, "valid"],
        [600, "401"],
      ],
      "hono/jwk, key set kept 10 min, new key": [
        [0, "401"],
        [600, "valid"],
      ],
    });
    const lagged = changes["jose recipe, at a lagging location, leaked key"]![1]![0];
    expect(lagged).toBeGreaterThan(CAUGHT_UP);
    expect(lagged).toBeLessThanOrEqual(CAUGHT_UP + 10);
  });
});

describe("a scheduled rotation, at verifiers that read only the JWKS", () => {
  it("refuses nothing at a verifier whose copy is kept for less than the lead time (jose's default, the recipes'); a copy kept longer than the hour, never refetched for an unknown kid, refuses the new key's tokens", async () => {
    serveJwks();
    const client = await createApplicationKey("steady");
    const start = startClock();
    const verifiers: Record<string, Verifier> = {
      "jose defaults": at("B", joseWith()),
      "jose, a copy kept for good": at("B", joseWith({ cacheMaxAge: Number.POSITIVE_INFINITY })),
      "jose recipe": at("B", joseRecipe()),
      "hono/jwk recipe": at("B", honoRecipe),
      "hono/jwk, key set kept 10 min": at("B", honoCachedFor(600 * SECOND)),
      "hono/jwk, key set kept 2 h": at("B", honoCachedFor(7200 * SECOND)),
    };
    // Each fetches the key set a minute before the next key is published, at B, whose KV then
    // keeps the key set from before the publication for 70 s (KV's propagation and an isolate's cache).
    const first = await tokenFor(client);
    for (const [name, verify] of Object.entries(verifiers)) expect([name, await verify(first)]).toStrictEqual([name, "valid"]);
    clockAt(start + 60 * SECOND);
    await lagAtB({ CLIENTS: ["signing-keys"] });
    await rotate(false); // a next key, published now, signs after NEXT_SIGNING_KEY_LEAD_SECONDS (3,600 s)
    const [active, next] = await jwksKids();
    expect(next).toBeDefined();

    // Asked every 10 s, with a token of whichever key signs at the moment (a new one each minute),
    // until ten minutes after the switch; the schedule runs every 15 minutes.
    let current = first;
    const probes = Object.fromEntries(
      Object.entries(verifiers).map(([name, verifier]) => [name, { verifier, token: async () => current }]),
    );
    const published = start + 60 * SECOND;
    const changes = await playOut(
      published,
      3600 + 600,
      probes,
      async (s) => {
        if (s === 70) await lagAtB({ CLIENTS: [] });
        if (s % (15 * 60) === 0) await worker.scheduled(createScheduledController({ cron: CRON, scheduledTime: Date.now() }), env as Env);
        if (s % 60 === 0) current = await tokenFor(client);
        if (s === 3600) expect(kidOf(current)).toBe(next); // the switch: the next key signs
        if (s === 3590) expect(kidOf(current)).toBe(active);
      },
      10,
    );

    expect(changes).toStrictEqual({
      "jose defaults": [[0, "valid"]],
      "jose, a copy kept for good": [[0, "valid"]], // jose refetches for an unknown kid (once per cooldown)
      "jose recipe": [[0, "valid"]],
      "hono/jwk recipe": [[0, "valid"]],
      "hono/jwk, key set kept 10 min": [[0, "valid"]],
      // fetched before the publication and kept past the switch: refused until its copy expires (7,200 s after it was fetched)
      "hono/jwk, key set kept 2 h": [
        [0, "valid"],
        [3600, "401"],
      ],
    });
  });
});

describe("docs/verifying-tokens.md", () => {
  it("shows the jose and hono/jwk recipes exactly as tested", () => {
    for (const source of [joseSource, honoSource]) expect(verifyingTokens).toContain(source.trim());
  });
});
