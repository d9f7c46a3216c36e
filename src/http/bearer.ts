/** The Bearer token of a request (RFC 6750 §2.1), or undefined when there is none. */
export function bearerToken(request: Request): string | undefined {
  const h = request.headers.get("Authorization");
  const m = h === null ? null : /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(h);
  return m?.[1];
}
