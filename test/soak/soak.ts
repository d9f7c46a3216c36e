/**
 * npm run soak -- [--seconds 120] [--rate 40] [--lag 5]
 *
 * A few minutes of mixed traffic against two edge-token Workers and a consumer, on loopback in
 * one workerd (Miniflare's API): location A (src/index.ts) and location B
 * (test/support/second-location.ts), whose KV view of chosen keys lags behind by up to `--lag`
 * seconds at a time, sharing one registry; the fixture consumer verifies through B over RPC and
 * with the importable verifier. At a steady rate: issuance at both, verification of tokens old
 * and new, revocations, narrowings (and widenings back), deletes and creates, while B's view of
 * the cut-offs, the status lists and some keys' records is frozen and thawed. Checked throughout:
 *
 * - no request is answered 5xx, and no token request for a live key is refused;
 * - no revoked, narrowed-away or deleted key's token verifies after its window (B's lag, the
 *   caches, the registry's one write a second, and a margin), and no live token is refused;
 * - no key is lost (every created key listed, and getting tokens) or resurrected (a deleted key
 *   listed, or getting a token after its window).
 *
 * Prints its figures and exits 1 on any violation. Not part of npm test.
 */
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { adminAudience } from "../../src/oauth/resource.ts";
import { checkedPayload } from "../../src/store/authenticated.ts";
import { bundle, createApplicationKey, EDGE_TOKEN_OBJECTS, ISSUER, newSigningKeys, RUN_KEK } from "../bench/workers.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "120" }, rate: { type: "string", default: "40" }, lag: { type: "string", default: "5" } },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const LAG_MAX_S = Number(values.lag);
const CACHE_S = 2; // CLIENT_CACHE_SECONDS and REVOCATION_CACHE_SECONDS of every Worker here
/** The documented window, at these settings: B's lag + a verifier's copy + the registry's write a second + a margin. */
const WINDOW_MS = (LAG_MAX_S + CACHE_S + 1 + 2) * 1000;
const IN_FLIGHT = 32;

interface Key {
  id: string;
  client_id: string;
  client_secret: string;
  created: number;
  /** Versions below this are revoked: from when the change that raised it was sent / answered. */
  cutoffs: { below: number; sent: number; done: number }[];
  deleted?: { sent: number; done: number };
  /** A change to it is under way: changes to one key go one at a time, so each one's version is known. */
  busy?: boolean;
  scope: "read write" | "read";
}
interface Token {
  token: string;
  key: Key;
  version: number;
  scope: string;
  revoked?: { sent: number; done: number };
}

const figures = {
  requests: 0,
  token_requests: 0,
  issued: 0,
  refused_deleted: 0,
  /** Tokens a stale copy (B's, or a cache) still minted for a key already deleted: each must die with it. */
  issued_deleted_in_window: 0,
  verifications: 0,
  revocations: 0,
  /** The slowest revocation's answer: a list's write waits at most a second after the one before. */
  revoke_ms_max: 0,
  narrowings: 0,
  widenings: 0,
  deletes: 0,
  creates: 0,
  lags: 0,
};
const violations: string[] = [];
const violation = (what: string) => {
  violations.push(what);
  if (violations.length <= 20) console.error(`  VIOLATION: ${what}`);
};

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, any>;
const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(Math.random() * xs.length)];
const address = () => `2001:db8:${Math.floor(Math.random() * 65535).toString(16)}::${Math.floor(Math.random() * 65535).toString(16)}`;

async function main() {
  const service = unstable_readConfig({ config: "wrangler.toml" });
  const kv = Object.fromEntries(service.kv_namespaces.map((n: { binding: string; id?: string }) => [n.binding, n.id!]));
  const SIGNING_KEYS = await newSigningKeys();
  const vars = {
    ...(service.vars as Record<string, string>),
    SIGNING_KEYS,
    SIGNING_KEY_KEK: RUN_KEK,
    ISSUER,
    CLIENT_CACHE_SECONDS: String(CACHE_S),
    REVOCATION_CACHE_SECONDS: String(CACHE_S),
  };
  const base = { modules: true, compatibilityDate: service.compatibility_date!, unsafeDirectSockets: [{ port: 0 }] };
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      // Only the Workers' errors are shown: every request writes a log line.
      handleStructuredLogs: ({ level, message }: { level: string; message: string }) => {
        if (level === "error") console.error(`  worker: ${message.slice(0, 400)}`);
      },
      workers: [
        {
          ...base,
          name: "edge-token",
          scriptPath: bundle("src/index.ts", "soak-edge-token"),
          kvNamespaces: kv,
          durableObjects: EDGE_TOKEN_OBJECTS,
          bindings: vars,
        },
        {
          ...base,
          name: "edge-token-b",
          scriptPath: bundle("test/support/second-location.ts", "soak-edge-token-b"),
          kvNamespaces: kv,
          // one registry and one set of ledgers per deployment: A's
          durableObjects: {
            REGISTRY: { className: "Registry", scriptName: "edge-token" },
            CLIENT_LEDGER: { className: "ClientLedger", scriptName: "edge-token" },
            STATUS_REGIONS: { className: "StatusRegion", scriptName: "edge-token" },
          },
          bindings: vars,
        },
        {
          ...base,
          name: "consumer",
          scriptPath: bundle("test/fixtures/consumer/index.ts", "soak-consumer"),
          serviceBindings: { AUTH: { name: "edge-token-b", entrypoint: "TokenVerifier" }, EDGE_TOKEN: "edge-token-b" },
          bindings: { ISSUER, REVOCATION_CACHE_SECONDS: String(CACHE_S) },
        },
      ],
    } as never),
  );
  try {
    await mf.ready;
    const at = {
      A: await mf.unsafeGetDirectURL("edge-token"),
      B: await mf.unsafeGetDirectURL("edge-token-b"),
      consumer: await mf.unsafeGetDirectURL("consumer"),
    };
    const send = async (url: URL, init: RequestInit = {}): Promise<Response> => {
      figures.requests++;
      const headers = new Headers(init.headers);
      headers.set("CF-Connecting-IP", address()); // many callers, as at the edge: the failure limit stays out of it
      const res = await fetch(url, { ...init, headers });
      if (res.status >= 500)
        violation(`${init.method ?? "GET"} ${url.pathname} answered ${res.status}: ${(await res.clone().text()).slice(0, 200)}`);
      return res;
    };
    const form = (p: Record<string, string>) => ({
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(p).toString(),
    });

    const operator = await createApplicationKey(mf, {
      name: "operator",
      scope: "read write application_keys",
      grant_types: ["client_credentials"],
    });
    const adminRes = await send(new URL("/oauth/access_token", at.A), form({ grant_type: "client_credentials", ...pickCreds(operator) }));
    const admin = ((await adminRes.json()) as { access_token: string }).access_token;
    if (claimsOf(admin).aud !== adminAudience(ISSUER)) throw new Error("the operator's token is not for the admin API");
    const adminCall = (where: "A" | "B", path: string, method: string, body?: unknown) =>
      send(new URL(path, at[where]), {
        method,
        headers: { Authorization: `Bearer ${admin}`, ...(body ? { "Content-Type": "application/json" } : {}) },
        ...(body ? { body: JSON.stringify({ data: { type: "application_key", ...body } }) } : {}),
      });

    const keys: Key[] = [];
    const tokens: Token[] = [];
    const live = () => keys.filter((k) => !k.deleted && !k.busy);
    const clientsKv = await mf.getKVNamespace("CLIENTS", "edge-token");
    /** The registry's version of a key's record, as its write-through left it in KV (checked under the KEK, as an isolate checks it). */
    const versionOf = async (k: Key) => {
      const key = `client:${k.client_id}`;
      const text = await clientsKv.get(key);
      if (text === null) return undefined;
      const payload = await checkedPayload(RUN_KEK, key, text, Math.floor(Date.now() / 1000));
      if (payload === undefined) throw new Error(`${key} in KV does not check out`);
      return (JSON.parse(payload) as { version: number }).version;
    };

    const create = async () => {
      const where = Math.random() < 0.5 ? "A" : "B";
      const res = await adminCall(where, "/v2/application-keys", "POST", {
        name: `soak ${keys.length}`,
        scope: "read write",
        grant_types: ["client_credentials"],
      });
      if (res.status !== 201) return violation(`create at ${where} answered ${res.status}`);
      const { data } = (await res.json()) as { data: { id: string; client_id: string; client_secret: string } };
      keys.push({ ...data, created: Date.now(), cutoffs: [], scope: "read write" });
      figures.creates++;
    };
    for (let i = 0; i < 12; i++) await create();

    const issue = async () => {
      // Mostly live keys; some deleted ones, which must be refused once their delete is out.
      const key = Math.random() < 0.85 ? pick(keys.filter((k) => !k.deleted)) : pick(keys.filter((k) => k.deleted));
      if (!key) return;
      figures.token_requests++;
      const where = Math.random() < 0.5 ? "A" : "B";
      const sent = Date.now();
      const res = await send(new URL("/oauth/access_token", at[where]), form({ grant_type: "client_credentials", ...pickCreds(key) }));
      if (res.status === 200) {
        const token = ((await res.json()) as { access_token: string }).access_token;
        const c = claimsOf(token);
        tokens.push({ token, key, version: c.key_version, scope: c.scope });
        if (tokens.length > 2000) tokens.splice(0, 500);
        figures.issued++;
        if (key.deleted) figures.issued_deleted_in_window++;
        if (key.deleted && sent > key.deleted.done + WINDOW_MS)
          violation(`a token for ${key.id}, deleted ${sent - key.deleted.done} ms before, at ${where}`);
        return;
      }
      await res.arrayBuffer();
      // Refused: only a deleted key may be, and only once its delete was sent.
      if (!key.deleted || sent < key.deleted.sent - 50)
        violation(`a token request for live key ${key.id} at ${where} answered ${res.status}`);
      else figures.refused_deleted++;
    };

    /** When a token is dead from: the earliest of its revocation, its key's deletion, a cut-off above its version. */
    const deadSince = (t: Token): { sent: number; done: number } | undefined => {
      const events = [t.revoked, t.key.deleted, ...t.key.cutoffs.filter((c) => t.version < c.below)].filter(
        (e): e is { sent: number; done: number } => e !== undefined,
      );
      if (events.length === 0) return undefined;
      return { sent: Math.min(...events.map((e) => e.sent)), done: Math.min(...events.map((e) => e.done)) };
    };

    const verify = async (t = pick(tokens)) => {
      if (!t) return;
      const way = pick(["rpc", "module"] as const)!;
      const started = Date.now();
      const res = await send(new URL(`/${way}/soak`, at.consumer), { headers: { Authorization: `Bearer ${t.token}` } });
      const finished = Date.now();
      await res.arrayBuffer();
      figures.verifications++;
      const dead = deadSince(t);
      if (res.status === 200) {
        if (dead && started > dead.done + WINDOW_MS)
          violation(`a dead token of ${t.key.id} verified (${way}) ${started - dead.done} ms after it died`);
      } else {
        const why = res.headers.get("X-Verify-Error");
        if (!dead || finished < dead.sent) violation(`a live token of ${t.key.id} refused (${way}): ${res.status} ${why}`);
      }
    };

    const revoke = async () => {
      const t = pick(tokens.filter((x) => !x.revoked && !x.key.deleted));
      if (!t) return;
      const where = Math.random() < 0.5 ? "A" : "B";
      const sent = Date.now();
      // Dead from the moment it is sent, as far as a refusal goes: a verifier may see the bit before the 200 is back.
      t.revoked = { sent, done: Number.POSITIVE_INFINITY };
      const res = await send(new URL("/oauth/revoke", at[where]), form({ token: t.token, ...pickCreds(t.key) }));
      await res.arrayBuffer();
      if (res.status !== 200) {
        t.revoked = undefined;
        return violation(`revocation at ${where} answered ${res.status}`);
      }
      t.revoked = { sent, done: Date.now() };
      figures.revocations++;
      figures.revoke_ms_max = Math.max(figures.revoke_ms_max, t.revoked.done - sent);
    };

    const rescope = async () => {
      const key = pick(live());
      if (!key) return;
      key.busy = true;
      try {
        const where = Math.random() < 0.5 ? "A" : "B";
        // Changes to a key go one at a time, each written through before it is answered: the
        // record KV holds now is the registry's current one, and the change makes it version + 1.
        const version = await versionOf(key);
        if (version === undefined) return violation(`key ${key.id} has no record in KV`);
        const narrowing = key.scope === "read write";
        const sent = Date.now();
        const cutoff = { below: version + 1, sent, done: Number.POSITIVE_INFINITY };
        // Dead from the moment the narrowing is sent: a verifier may refuse older tokens from then on.
        if (narrowing) key.cutoffs.push(cutoff);
        const res = await adminCall(where, `/v2/application-keys/${key.id}`, "PUT", { scope: narrowing ? "read" : "read write" });
        await res.arrayBuffer();
        if (res.status !== 200) return violation(`a change of ${key.id} at ${where} answered ${res.status}`);
        key.scope = narrowing ? "read" : "read write";
        if ((await versionOf(key)) !== version + 1) violation(`key ${key.id}: version ${version} did not become ${version + 1}`);
        cutoff.done = Date.now();
        if (narrowing) figures.narrowings++;
        else figures.widenings++;
      } finally {
        key.busy = false;
      }
    };

    const remove = async () => {
      if (live().length < 6) return create();
      const key = pick(live())!;
      key.busy = true;
      const where = Math.random() < 0.5 ? "A" : "B";
      const sent = Date.now();
      // Dead from the moment it is sent: a token request may be refused from then on.
      key.deleted = { sent, done: Number.POSITIVE_INFINITY };
      const res = await adminCall(where, `/v2/application-keys/${key.id}`, "DELETE");
      await res.arrayBuffer();
      if (res.status !== 204) return violation(`delete of ${key.id} at ${where} answered ${res.status}`);
      key.deleted.done = Date.now();
      figures.deletes++;
    };

    const listed = async () => {
      const listStarted = Date.now();
      const ids = new Set<string>();
      for (let offset = 0; ; offset += 100) {
        const res = await adminCall("A", `/v2/application-keys?page[limit]=100&page[offset]=${offset}`, "GET");
        const page = (await res.json()) as { data: { id: string }[]; meta: { results: { total: number } } };
        for (const k of page.data) ids.add(k.id);
        if (offset + 100 >= page.meta.results.total) break;
      }
      const listEnded = Date.now();
      // Only what was settled before the listing began: a delete sent while it ran may or may not
      // show, one sent after it ended must not have hidden the key.
      for (const k of keys) {
        if (k.created < listStarted && (!k.deleted || k.deleted.sent > listEnded) && !ids.has(k.id))
          violation(`key ${k.id} lost: not listed`);
        if (k.deleted && k.deleted.done < listStarted && ids.has(k.id)) violation(`key ${k.id} resurrected: listed after its delete`);
      }
    };

    // B's KV lags: the shared documents and some keys' records frozen for up to LAG_MAX_S, then thawed.
    let lagging = true;
    const lagLoop = (async () => {
      while (lagging) {
        const frozenKeys = keys.filter(() => Math.random() < 0.3).flatMap((k) => [`client:${k.client_id}`, `deleted:${k.client_id}`]);
        const lists = [
          ...new Set(tokens.slice(-50).map((t) => `status-list:${claimsOf(t.token).status.status_list.uri.split("/").at(-1)}`)),
        ];
        await fetch(new URL("/__lag", at.B), {
          method: "POST",
          body: JSON.stringify({ CLIENTS: frozenKeys, REVOCATIONS: ["cutoffs", ...lists] }),
        });
        figures.lags++;
        await new Promise((r) => setTimeout(r, 500 + Math.random() * (LAG_MAX_S * 1000 - 1000)));
        await fetch(new URL("/__lag", at.B), { method: "POST", body: JSON.stringify({ CLIENTS: [], REVOCATIONS: [] }) });
        await new Promise((r) => setTimeout(r, 500 + Math.random() * 2000));
      }
    })();

    const mix: [number, () => Promise<unknown>][] = [
      [0.38, issue],
      [0.42, verify],
      [0.1, revoke],
      [0.05, rescope],
      [0.025, remove],
      [0.025, create],
    ];
    const choose = () => {
      let r = Math.random();
      for (const [p, op] of mix) {
        r -= p;
        if (r < 0) return op;
      }
      return verify;
    };
    const started = Date.now();
    console.error(`edge-token soak: ${SECONDS} s at ${RATE} operations/s, B lagging up to ${LAG_MAX_S} s, window ${WINDOW_MS / 1000} s`);
    const inFlight = new Set<Promise<unknown>>();
    let nextReport = started + 10_000;
    for (let i = 0; Date.now() - started < SECONDS * 1000; i++) {
      const due = started + (i * 1000) / RATE;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      const p = choose()().catch((error) => violation(`an operation threw: ${error}`));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (Date.now() > nextReport) {
        nextReport += 10_000;
        console.error(`  ${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(figures)}, violations ${violations.length}`);
        await listed();
      }
    }
    await Promise.all(inFlight);
    lagging = false;
    await lagLoop;
    // After the last window: every dead token dead everywhere, every deleted key getting nothing.
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    for (const t of tokens.slice(-300)) await verify(t);
    for (const k of keys.filter((x) => x.deleted)) {
      for (const where of ["A", "B"] as const) {
        const res = await send(new URL("/oauth/access_token", at[where]), form({ grant_type: "client_credentials", ...pickCreds(k) }));
        await res.arrayBuffer();
        if (res.status === 200) violation(`deleted key ${k.id} got a token at ${where} after its window`);
      }
    }
    await listed();

    const report = {
      ...figures,
      seconds: Math.round((Date.now() - started) / 1000),
      window_s: WINDOW_MS / 1000,
      violations: violations.length,
    };
    console.log(JSON.stringify(report, null, 2));
    if (violations.length > 0) process.exitCode = 1;
  } finally {
    await mf.dispose();
  }
}

function pickCreds(k: { client_id: string; client_secret: string }) {
  return { client_id: k.client_id, client_secret: k.client_secret };
}

await main();
