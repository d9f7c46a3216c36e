import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createLocalJWKSet, type JWTVerifyResult, jwtVerify, SignJWT } from "jose";
import type { Env } from "../../src/config/settings.ts";
import worker from "../../src/index.ts";
import type { AccessTokenClaims } from "../../src/oauth/claims.ts";
import { registry } from "../../src/store/registry.ts";
import { type NewKey, REGISTRY_NAME } from "../../src/store/registry-protocol.ts";
import { signAccessToken } from "../../src/tokens/sign.ts";
import { record } from "./contract.ts";
import { signerOf } from "./signer.ts";

export const ORIGIN = "https://auth.example";

/** The registry's own stub, as runInDurableObject and runDurableObjectAlarm take it (the service wraps its calls: store/objects.ts). */
export const registryStub = () => env.REGISTRY.getByName(REGISTRY_NAME);

/** Calls the Worker's fetch handler in this isolate, with the real bindings unless overridden. */
export async function call(path: string, init: RequestInit = {}, overrides: Partial<Env> = {}, origin = ORIGIN): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(origin + path, init);
  // Each call comes from an address of its own unless a test picks one: failed authentications
  // in unrelated tests must not add up to a per-address throttle.
  if (!request.headers.has("CF-Connecting-IP")) request.headers.set("CF-Connecting-IP", randomIp());
  const response = await worker.fetch(request, { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  record(request, response);
  return response;
}

/** An IPv6 address in a /64 of its own: failures are counted per /64. */
export function randomIp(): string {
  const [a, b, c] = crypto.getRandomValues(new Uint16Array(3));
  return `2001:db8:${a!.toString(16)}:${b!.toString(16)}::${c!.toString(16)}`;
}

export const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

export function post(path: string, params: Record<string, string>, headers: Record<string, string> = {}, overrides: Partial<Env> = {}) {
  return call(path, { method: "POST", headers: { ...FORM, ...headers }, body: new URLSearchParams(params).toString() }, overrides);
}

export function basic(id: string, secret: string): Record<string, string> {
  return { Authorization: `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}` };
}

/**
 * A key created in the registry, as the CLI creates one (the actor is "test"), and written
 * through to the real local KV. By default it holds what an API-created key gets
 * (DEFAULT_SCOPE, both grants).
 */
export async function createApplicationKey(name = "test client", attributes: Partial<NewKey> = {}) {
  const answer = await registry(env).create(
    { kind: "operator", actor: "test" },
    { name, scope: "read write", grant_types: ["client_credentials", "implicit"], ...attributes },
  );
  if (!answer.ok) throw new Error(`could not create a key: ${JSON.stringify(answer.refusal)}`);
  // A private_key_jwt key has no secret: "" then, never a usable one.
  return { ...answer.value.record, client_secret: answer.value.client_secret ?? "" };
}

/** A client that may manage keys. */
export const createAdmin = (name = "operator") => createApplicationKey(name, { scope: "read write application_keys" });

export async function tokenFor(
  client: { client_id: string; client_secret: string },
  grant: "client_credentials" | "implicit" = "client_credentials",
  extra: Record<string, string> = {},
) {
  const params: Record<string, string> = { grant_type: grant, client_id: client.client_id, ...extra };
  if (grant === "client_credentials") params.client_secret = client.client_secret;
  const response = await post("/oauth/access_token", params);
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Verifies a token as any outside party would: against the published JWKS, with jose. */
export async function verifyWithJwks(
  token: string,
  overrides: Partial<Env> = {},
  origin = ORIGIN,
): Promise<JWTVerifyResult<AccessTokenClaims>> {
  const jwks = await (await call("/.well-known/jwks.json", {}, overrides, origin)).json();
  return jwtVerify<AccessTokenClaims>(token, createLocalJWKSet(jwks as never), {
    algorithms: ["EdDSA", "ES256"],
    typ: "at+jwt",
    issuer: origin,
    audience: origin,
  });
}

export async function errorBody(response: Response) {
  return (await response.json()) as { errors: { title: string; status: string; detail: string; code: string }[] };
}

export function error(status: number, title: string, code: string, detail: string) {
  return { errors: [{ title, status: String(status), detail, code }] };
}

/** Signs arbitrary claims and header with the service's own signing key (or `key`): for crafted tokens. */
export async function signWith(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  key?: CryptoKey,
): Promise<string> {
  const signer = await signerOf(env.SIGNING_KEYS);
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: ORIGIN,
    sub: "c0ffee",
    aud: ORIGIN,
    iat: now,
    exp: now + 3600,
    jti: crypto.randomUUID(),
    client_id: "c0ffee",
    scope: "read write",
    grant_type: "client_credentials",
    ...claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt", ...header } as never)
    .sign(key ?? signer.key);
}

/** A token for `client` as the service would issue it, at another time (for expiry). */
export async function issueAt(
  client: { client_id: string },
  now: number,
  grant: "client_credentials" | "implicit" = "client_credentials",
  ttlSeconds = 3600,
) {
  const signer = await signerOf(env.SIGNING_KEYS);
  const scope = grant === "implicit" ? "read" : "read write";
  return signAccessToken(signer, { issuer: ORIGIN, audience: ORIGIN, ttlSeconds, clientId: client.client_id, grant, scope, now });
}

export function unsigned(token: string, header: Record<string, unknown> = { alg: "none", typ: "at+jwt" }): string {
  const [, payload] = token.split(".");
  return `${b64url(JSON.stringify(header))}.${payload}.`;
}

export function b64url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function claimsOf(token: string): AccessTokenClaims {
  return JSON.parse(atob(token.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/")));
}

/** Replaces one claim without re-signing: a tampered token. */
export function tamper(token: string, claims: Record<string, unknown>): string {
  const [h, , s] = token.split(".");
  return `${h}.${b64url(JSON.stringify({ ...claimsOf(token), ...claims }))}.${s}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export type KvOp = "get" | "put" | "list" | "delete";

/**
 * The real binding, with chosen operations failing: they throw (`throw`, or an Error of one's
 * own) or never answer (`hang`), optionally only for some keys. Every operation is re-bound to
 * the real binding, since binding methods refuse another `this`.
 */
export function faulty(
  kv: KVNamespace,
  ops: KvOp[],
  mode: "throw" | "hang" | Error,
  when: (key: unknown) => boolean = () => true,
): KVNamespace {
  const fault = () =>
    mode === "hang" ? new Promise<never>(() => {}) : Promise.reject(mode === "throw" ? new Error("KV is unavailable (injected)") : mode);
  const wrapper = Object.fromEntries(
    (["get", "put", "list", "delete", "getWithMetadata"] as const).map((op) => [
      op,
      (key: unknown, ...rest: unknown[]) =>
        (ops as string[]).includes(op) && when(key) ? fault() : (kv[op] as (...a: unknown[]) => unknown).call(kv, key, ...rest),
    ]),
  );
  return wrapper as unknown as KVNamespace;
}

/**
 * The real binding as a location whose KV copy lags sees it: the given keys read as they are
 * now, whatever is written later; everything else reads through.
 */
export async function staleView(kv: KVNamespace, keys: string[]): Promise<KVNamespace> {
  const frozen = new Map<string, string | null>();
  for (const key of keys) frozen.set(key, await kv.get(key));
  const get = async (key: string | string[], type?: "text" | "json") => {
    const one = async (k: string) => {
      const v = frozen.has(k) ? frozen.get(k)! : await kv.get(k);
      return v !== null && type === "json" ? JSON.parse(v) : v;
    };
    return Array.isArray(key) ? new Map(await Promise.all(key.map(async (k) => [k, await one(k)] as const))) : one(key);
  };
  return {
    get,
    put: kv.put.bind(kv),
    delete: kv.delete.bind(kv),
    list: kv.list.bind(kv),
    getWithMetadata: kv.getWithMetadata.bind(kv),
  } as unknown as KVNamespace;
}

/**
 * The rate limiter counts in windows aligned to the clock's minutes (RATE_LIMIT_PERIOD_SECONDS):
 * a burst that straddles a minute's turn finds its count reset half-way. On a loaded machine a
 * burst of hundreds can take seconds, so one that crossed the turn is run again, in the fresh
 * window it now starts in, rather than counted against a limit it partly never met.
 */
export async function inOneWindow(burst: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const window = Math.floor(Date.now() / 60_000);
    try {
      await burst();
      return;
    } catch (error) {
      if (attempt >= 3 || Math.floor(Date.now() / 60_000) === window) throw error;
    }
  }
}
