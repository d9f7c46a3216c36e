import { PUBLIC_MAX_AGE_SECONDS } from "../lib/limits.ts";
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export const NO_STORE = { "Cache-Control": "no-store" } as const;

export const PUBLIC_CACHE = { "Cache-Control": `public, max-age=${PUBLIC_MAX_AGE_SECONDS}` } as const;

/** RFC 6749 §5.1: token responses must not be cached, by HTTP/1.0 caches either. */
export const TOKEN_NO_STORE = { ...NO_STORE, Pragma: "no-cache" } as const;
