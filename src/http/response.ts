export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** RFC 6749 §5.1: token responses must not be cached. */
export const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;
