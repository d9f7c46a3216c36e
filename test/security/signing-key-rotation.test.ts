import { createExecutionContext, createScheduledController, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { decodeProtectedHeader } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/config/settings.ts";
import worker, { TokenVerifier } from "../../src/index.ts";
import { retiringKeySeconds } from "../../src/lib/limits.ts";
import { registry } from "../../src/store/registry.ts";
import type { SigningKeyView } from "../../src/store/registry-protocol.ts";
import { createVerifier, type JwksFetcher } from "../../src/verify.ts";
import { call, createApplicationKey, error, issueAt, ORIGIN, post, registryStub, tokenFor } from "../support/helpers.ts";
import { jsonIn } from "../support/kv-values.ts";

/**
 * The signing-key schedule as the Cron Trigger runs it (src/handlers/scheduled.ts), on a clock
 * the test moves: a key is published, signs, retires and leaves, and the tokens of each verify
 * exactly while they should. Storage of its own: it moves time by months and changes the keys
 * every other suite signs with.
 */
const CRON = "*/15 * * * *"; // wrangler.toml [triggers]
const DAY = 86_400_000;
const LEAD = 3_600_000; // NEXT_SIGNING_KEY_LEAD_SECONDS
// How long a key that stopped signing stays published, with this Worker's settings (TOKEN_TTL_SECONDS 3600, CLIENT_CACHE_SECONDS 10).
const RETIRING = retiringKeySeconds(3600, 10) * 1000;

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await registryEnv(env as Env);
});

const registryEnv = (e: Env, stub = registryStub()) =>
  runInDurableObject(stub, (instance) => {
    (instance as unknown as { env: Env }).env = e;
  });

/** One run of the Cron Trigger, as Cloudflare calls it. */
async function scheduled(cron = CRON): Promise<void> {
  await worker.scheduled(createScheduledController({ cron, scheduledTime: Date.now() }), env as Env);
}

/** The keys the registry still publishes, newest first, as [kid, state]. */
async function published(): Promise<[string, SigningKeyView["state"]][]> {
  const { keys } = await registry(env).signingKeyState();
  return keys.filter((k) => k.state !== "retired").map((k) => [k.kid, k.state]);
}
const keyOf = async (kid: string) => (await registry(env).signingKeyState()).keys.find((k) => k.kid === kid)!;
const jwksKids = async () => ((await (await call("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
/** The registry keeps whole seconds. */
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

/** The importable verifier as a consumer runs it, with its default caches, reaching this Worker as a Service Binding would. */
const through: JwksFetcher = { fetch: (url: string, init?: RequestInit) => call(new URL(url).pathname, init ?? {}) };

/** How a token fares at this Worker's RPC entrypoint, at a module verifier, and at /oauth/introspect. */
async function verdicts(
  token: string,
  client: { client_id: string; client_secret: string },
  module = createVerifier({ issuer: ORIGIN, jwks: through }),
) {
  const rpc = await new TokenVerifier(createExecutionContext(), env).verify(token, { method: "GET" });
  const mod = await module.verify(token, { method: "GET" });
  const introspected = await post("/oauth/introspect", { token, client_id: client.client_id, client_secret: client.client_secret });
  const { active } = (await introspected.json()) as { active: boolean };
  return [rpc.valid ? "valid" : rpc.error, mod.valid ? "valid" : mod.error, active];
}

describe("the schedule", () => {
  it("next → active → retiring → gone: each key published before it signs, and kept until what it signed has expired", async () => {
    const client = await createApplicationKey("cycle");
    vi.useFakeTimers({ toFake: ["Date"] });
    // The first key: the SIGNING_KEYS value this Worker had, imported on first use (test/support/signer.ts signs with it).
    await registry(env).signingKeyState({ make: true });
    const [k0, state0] = (await published())[0]!;
    expect(state0).toBe("active");
    const activated = Date.parse((await keyOf(k0)).activated_at!);
    const module = createVerifier({ issuer: ORIGIN, jwks: through }); // JWKS cached 300 s, as consumers run it
    const early = await tokenFor(client);
    expect(await verdicts(early, client, module)).toStrictEqual(["valid", "valid", true]);

    // Not yet: the period (30 days) less the lead time (an hour) has not passed.
    vi.setSystemTime(activated + 30 * DAY - LEAD - 60_000);
    await scheduled();
    expect(await published()).toStrictEqual([[k0, "active"]]);

    // Due: the next key is published, once however many runs see it due at the same moment.
    vi.setSystemTime(activated + 30 * DAY - LEAD);
    await Promise.all([scheduled(), scheduled(), scheduled()]);
    const k1 = (await published())[0]![0];
    expect(await published()).toStrictEqual([
      [k1, "next"],
      [k0, "active"],
    ]);
    expect((await keyOf(k1)).activate_at).toBe(iso(activated + 30 * DAY));
    expect(await jwksKids()).toStrictEqual([k0, k1]); // the key that signs first
    vi.setSystemTime(Date.now() + 30 * 60_000);
    const t0 = await tokenFor(client);
    expect(kidOf(t0)).toBe(k0); // a next key signs nothing
    expect(await verdicts(t0, client, module)).toStrictEqual(["valid", "valid", true]);

    // No run for the rest of the hour; one a second early changes nothing.
    vi.setSystemTime(activated + 30 * DAY - 1000);
    await scheduled();
    expect((await published()).map(([, s]) => s)).toStrictEqual(["next", "active"]);

    vi.setSystemTime(activated + 30 * DAY);
    await Promise.all([scheduled(), scheduled()]);
    const switched = Date.now();
    expect(await published()).toStrictEqual([
      [k1, "active"],
      [k0, "retiring"],
    ]);
    expect((await keyOf(k0)).retire_at).toBe(iso(switched + RETIRING));
    expect(await jwksKids()).toStrictEqual([k1, k0]);
    const t1 = await tokenFor(client);
    expect(kidOf(t1)).toBe(k1);
    // The module verifier last fetched the JWKS half an hour ago (k0 and k1): it needs no refetch for k1's tokens.
    expect(await verdicts(t1, client, module)).toStrictEqual(["valid", "valid", true]);
    expect(await verdicts(t0, client, module)).toStrictEqual(["valid", "valid", true]);

    // The last token k0 can have signed: at a location whose copy of the keys was as old as it can be (KV's 60 s and the 10 s cache).
    const { token: last } = await issueAt(client, Math.floor(switched / 1000) + 69);
    expect(kidOf(last)).toBe(k0);
    vi.setSystemTime(switched + 3_600_000 + 60_000); // t0 and t1 have expired; `last` has not
    await scheduled();
    expect(await verdicts(t0, client, module)).toStrictEqual(["expired", "expired", false]);
    expect(await verdicts(last, client, module)).toStrictEqual(["valid", "valid", true]);
    vi.setSystemTime(switched + RETIRING - 1000);
    await scheduled();
    expect((await published()).map(([, s]) => s)).toStrictEqual(["active", "retiring"]);
    expect(await verdicts(last, client, module)).toStrictEqual(["expired", "expired", false]);

    // Gone: k0 leaves the JWKS; a token it signs now (its private key, say, found in an old backup) is a stranger's.
    vi.setSystemTime(switched + RETIRING);
    await scheduled();
    expect(await published()).toStrictEqual([[k1, "active"]]);
    expect((await keyOf(k0)).state).toBe("retired");
    expect(await jwksKids()).toStrictEqual([k1]);
    vi.setSystemTime(Date.now() + 301_000); // past the module verifier's JWKS cache
    const { token: forged } = await issueAt(client, Math.floor(Date.now() / 1000));
    expect(await verdicts(forged, client, module)).toStrictEqual(["unknown_kid", "unknown_kid", false]);
    const t2 = await tokenFor(client);
    expect(kidOf(t2)).toBe(k1);
    expect(await verdicts(t2, client, module)).toStrictEqual(["valid", "valid", true]);

    // Every step in the audit trail, once, by the schedule.
    const { entries } = await registry(env).signingKeyEvents(100, 0);
    expect(entries.filter((e) => e.actor === "schedule").map(({ action, kid, from, to }) => [action, kid, from, to])).toStrictEqual([
      ["publish", k1, null, "next"],
      ["activate", k1, "next", "active"],
      ["retire", k0, "active", "retiring"],
      ["remove", k0, "retiring", "retired"],
    ]);
    expect(entries[0]).toMatchObject({ actor: "first use", action: "import", kid: k0, from: null, to: "active" });
  });

  it("a run months late publishes a next key and waits the lead time again: no key signs that verifiers may not have", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const active = (await published())[0]![0];
    vi.setSystemTime(Date.now() + 200 * DAY);
    await Promise.all([scheduled(), scheduled()]);
    const next = (await published())[0]![0];
    expect(await published()).toStrictEqual([
      [next, "next"],
      [active, "active"],
    ]);
    expect((await keyOf(next)).activate_at).toBe(iso(Date.now() + LEAD));
    vi.setSystemTime(Date.now() + LEAD - 1000);
    await scheduled();
    expect((await published()).map(([, s]) => s)).toStrictEqual(["next", "active"]);
    vi.setSystemTime(Date.now() + 1000);
    await scheduled();
    expect(await published()).toStrictEqual([
      [next, "active"],
      [active, "retiring"],
    ]);
  });

  it("SIGNING_KEY_ROTATION_DAYS = 0: nothing is published or activated, however late; a retiring key still leaves when due", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await registryEnv({ ...env, SIGNING_KEY_ROTATION_DAYS: "0" } as Env);
    const [active] = (await published()).filter(([, s]) => s === "active");
    vi.setSystemTime(Date.now() + 210 * DAY); // past the retiring key's time, and the period many times over
    await scheduled();
    expect(await published()).toStrictEqual([active]);
    vi.setSystemTime(Date.now() + 400 * DAY);
    await scheduled();
    expect(await published()).toStrictEqual([active]);
  });

  it("the local trigger (cron=rotate) takes the next step at once only in local development", async () => {
    const before = await published();
    const logged = vi.spyOn(console, "log").mockImplementation(() => {});
    await scheduled("rotate"); // ALLOW_REQUEST_ORIGIN_ISSUER is "false" here, as deployed
    expect(await published()).toStrictEqual(before);
    expect(JSON.parse(String(logged.mock.calls.at(-1)![0]))).toStrictEqual({
      level: "info",
      schedule: "rotate",
      advance: false,
      changes: [],
    });
  });
});

describe("a KEK that does not match", () => {
  it("is refused by the schedule with a clear error, not acted on; an emergency rotation under the new KEK starts over", async () => {
    const client = await createApplicationKey("kek");
    const manager = await tokenFor(await createApplicationKey("kek manager", { scope: "signing_keys" }));
    const before = await published();
    const other = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    const changed = { ...env, SIGNING_KEY_KEK: other } as Env;
    await registryEnv(changed);
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 400 * DAY); // every step due
    await scheduled();
    vi.useRealTimers();
    expect(await published()).toStrictEqual(before);
    expect(logged).toHaveBeenCalledTimes(1);
    const line = JSON.parse(String(logged.mock.calls[0]![0]));
    expect(line).toMatchObject({ level: "error", schedule: CRON, advance: false });
    expect(line.error).toMatch(
      /^SIGNING_KEY_KEK does not match: the signing keys are sealed with KEK [0-9a-f]{16}, this Worker has KEK [0-9a-f]{16}\. Put back the KEK that sealed them, or rotate with --now/,
    );
    expect(String(logged.mock.calls[0]![0])).not.toContain(other);
    expect(String(logged.mock.calls[0]![0])).not.toContain(env.SIGNING_KEY_KEK);
    expect((await registry(env).signingKeyState()).kek_matches).toBe(false);
    // A Worker holding the new KEK cannot sign with keys sealed under the old one: a 503 that says so, never a 500.
    expect((await post("/oauth/access_token", { grant_type: "implicit", client_id: client.client_id }, {}, changed)).status).toBe(503);
    // Nor can it rotate: the caller gets the documented detail, the log line the reason with both fingerprints.
    const rotate = await call(
      "/v2/signing-keys/rotate",
      {
        method: "POST",
        headers: { Authorization: `Bearer ${manager}`, "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "signing_key_rotation", emergency: false } }),
      },
      changed,
    );
    expect([rotate.status, rotate.headers.get("Retry-After"), await rotate.json()]).toStrictEqual([
      503,
      "60",
      error(503, "Service Unavailable", "temporarily_unavailable", "The service cannot sign tokens at the moment."),
    ]);
    const rotateLine = logged.mock.calls.map((c) => JSON.parse(String(c[0]))).find((l) => l.path === "/v2/signing-keys/rotate");
    expect(rotateLine).toMatchObject({ level: "error", status: 503, outcome: "temporarily_unavailable" });
    expect(rotateLine.error.cause.message).toMatch(/^SIGNING_KEY_KEK does not match: the signing keys are sealed with KEK [0-9a-f]{16}/);

    const answer = await registry(env).rotateSigningKeys({ kind: "operator", actor: "cli" }, { emergency: true });
    expect(answer.ok).toBe(true);
    expect((await registry(env).signingKeyState()).kek_matches).toBe(true);
    const [fresh, state] = (await published())[0]!;
    expect([state, (await published()).length]).toStrictEqual(["active", 1]);
    const res = await post("/oauth/access_token", { grant_type: "implicit", client_id: client.client_id }, {}, changed);
    expect(res.status).toBe(200);
    expect(kidOf(((await res.json()) as { access_token: string }).access_token)).toBe(fresh);
  });
});

describe("SIGNING_KEYS from an earlier version", () => {
  it("is imported once on a new registry, each key in its role: the first active, the others retiring until their tokens have expired", async () => {
    const stub = env.REGISTRY.getByName("imported-elsewhere");
    const { keys: own } = JSON.parse(env.SIGNING_KEYS) as { keys: { kid: string }[] };
    const older = await (await import("../../src/tokens/signing-key-material.ts")).generateSigningKey("EdDSA");
    const legacy = JSON.stringify({ keys: [...own, older] });
    // Its KV documents under a prefix of their own: this registry is not the one the suite's Worker reads.
    await registryEnv(
      {
        ...env,
        SIGNING_KEYS: legacy,
        CLIENTS: prefixed(env.CLIENTS, "elsewhere/"),
        REVOCATIONS: prefixed(env.REVOCATIONS, "elsewhere/"),
      } as Env,
      stub,
    );
    const made = Date.now();
    const { keys, kek_matches } = await stub.signingKeyState({ make: true });
    expect(kek_matches).toBe(true);
    expect(keys.map((k) => [k.kid, k.state, k.origin])).toStrictEqual(
      expect.arrayContaining([
        [own[0]!.kid, "active", "imported"],
        [older.kid, "retiring", "imported"],
      ]),
    );
    expect(keys).toHaveLength(2);
    const retiring = keys.find((k) => k.state === "retiring")!;
    expect(Date.parse(retiring.retire_at!) - made).toBeGreaterThanOrEqual(RETIRING - 2000);
    expect(Date.parse(retiring.retire_at!) - made).toBeLessThanOrEqual(RETIRING + 2000);
    const doc = (await jsonIn<{ keys: { kid: string; state: string; sealed?: string; jwk: Record<string, string> }[] }>(
      prefixed(env.CLIENTS, "elsewhere/"),
      "signing-keys",
    ))!;
    expect(doc.keys.map((k) => [k.kid, k.state, typeof k.sealed])).toStrictEqual(
      expect.arrayContaining([
        [own[0]!.kid, "active", "string"],
        [older.kid, "retiring", "undefined"], // a key that signs no more is not kept openable
      ]),
    );
    expect(JSON.stringify(doc)).not.toContain((own[0] as unknown as { d: string }).d); // sealed, never as it was
    expect(doc.keys.every((k) => k.jwk.d === undefined)).toBe(true);

    // The secret is not read again: another value (or none) changes nothing.
    await registryEnv(
      {
        ...env,
        SIGNING_KEYS: "",
        CLIENTS: prefixed(env.CLIENTS, "elsewhere/"),
        REVOCATIONS: prefixed(env.REVOCATIONS, "elsewhere/"),
      } as Env,
      stub,
    );
    expect((await stub.signingKeyState({ make: true })).keys).toStrictEqual(keys);
  });
});

/** The real namespace, every key under `prefix`. */
function prefixed(kv: KVNamespace, prefix: string): KVNamespace {
  return {
    get: (key: string, type?: "text") => kv.get(prefix + key, type as "text"),
    getWithMetadata: (key: string, type?: "text") => kv.getWithMetadata(prefix + key, type as "text"),
    put: (key: string, value: string, o?: KVNamespacePutOptions) => kv.put(prefix + key, value, o),
    delete: (key: string) => kv.delete(prefix + key),
    list: (o: KVNamespaceListOptions = {}) => kv.list({ ...o, prefix: prefix + (o.prefix ?? "") }),
  } as unknown as KVNamespace;
}
