import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { call, claimsOf, ORIGIN, post } from "./helpers.ts";

/**
 * Two Cloudflare locations, as the tests play them: A is this test runner's Worker (its own
 * isolate caches), B the second edge-token Worker (env.EDGE_TOKEN, test/support/second-location.ts),
 * whose KV reads of chosen keys lag, and which the consumer Worker (env.CONSUMER) verifies
 * through, over RPC and with the importable verifier.
 */
export type Where = "A" | "B";
export type Key = { id: string; client_id: string; client_secret: string };

/** Freezes what B reads for these keys (their values as of now); a binding given [] catches up. */
export async function lagAtB(keys: { CLIENTS?: string[]; REVOCATIONS?: string[] }): Promise<void> {
  const res = await env.EDGE_TOKEN.fetch(`${ORIGIN}/__lag`, { method: "POST", body: JSON.stringify(keys) });
  expect(res.status).toBe(204);
}

/** What B reads of a key's record, as its KV had it before a change. */
export const recordKeys = (k: Key) => [`client:${k.client_id}`, `deleted:${k.client_id}`, `appkey:${k.id}`];

/** B's requests to these path prefixes answer 503 (none: []). */
export async function failAtB(paths: string[]): Promise<void> {
  const res = await env.EDGE_TOKEN.fetch(`${ORIGIN}/__fail`, { method: "POST", body: JSON.stringify({ paths }) });
  expect(res.status).toBe(204);
}

const form = (p: Record<string, string>) => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(p).toString(),
});
const cc = (k: Key) => ({ grant_type: "client_credentials", client_id: k.client_id, client_secret: k.client_secret });

/** A client_credentials token request at a location: its status and token. */
export async function tokenAt(where: Where, k: Key): Promise<{ status: number; token: string }> {
  const res =
    where === "A" ? await post("/oauth/access_token", cc(k)) : await env.EDGE_TOKEN.fetch(`${ORIGIN}/oauth/access_token`, form(cc(k)));
  return { status: res.status, token: res.status === 200 ? ((await res.json()) as { access_token: string }).access_token : "" };
}

/** An admin API call at a location. */
export function adminAt(where: Where, bearer: string, path: string, method: string, body?: unknown): Promise<Response> {
  const init = {
    method,
    headers: { Authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify({ data: { type: "application_key", ...body } }) }),
  };
  return where === "A" ? call(path, init) : env.EDGE_TOKEN.fetch(`${ORIGIN}${path}`, init);
}

/**
 * How a GET with the token fares: "valid", or the failure code (A: its RPC entrypoint; B: the
 * consumer, over RPC or the module; "B cached": the module with a consumer's default JWKS cache).
 */
export async function check(where: "A" | "B rpc" | "B module" | "B cached", token: string): Promise<string> {
  if (where === "A") {
    const r = await new TokenVerifier(createExecutionContext(), env).verify(token, { method: "GET" });
    return r.valid ? "valid" : r.error;
  }
  const way = where === "B rpc" ? "rpc" : where === "B cached" ? "cached" : "module";
  const res = await env.CONSUMER.fetch(`https://consumer.example/${way}/products`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return res.status === 200 ? "valid" : (res.headers.get("X-Verify-Error") ?? String(res.status));
}

/** The token's status list, as KV names it. */
export const listKeyOf = (token: string) => `status-list:${claimsOf(token).status!.status_list.uri.split("/").at(-1)}`;
