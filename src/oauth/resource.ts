/**
 * An issuer a verifier is told to trust (RFC 8414 §2: a URL without query or fragment; http for
 * local development): written as a URL parser writes it, so `iss` is compared with exactly the
 * text the service puts there, and nothing in it needs escaping where it is quoted.
 */
export function isIssuerUrl(value: string): boolean {
  const u = typeof value === "string" ? URL.parse(value) : null;
  return (
    u !== null &&
    (u.protocol === "https:" || u.protocol === "http:") &&
    u.username === "" &&
    u.password === "" &&
    u.search === "" &&
    !value.includes("#") &&
    isWrittenAsParsed(value, u)
  );
}

/**
 * Whether `value` is the text the URL parser gives back for it (a root path's slash aside): no
 * spaces, quotes, backslashes or control characters a parser would escape or drop, no
 * upper-case host. Identifiers compared as strings (RFC 9728 §3.3) must be this text.
 */
export function isWrittenAsParsed(value: string, u: URL): boolean {
  return (u.href === value || (u.pathname === "/" && u.search === "" && u.href === `${value}/`)) && !/["\\]/.test(value);
}

/** RFC 8707 §2: a resource indicator is an absolute URI without a fragment. */
export function isResourceUri(value: string): boolean {
  return !value.includes("#") && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) && URL.canParse(value);
}

/** The admin API (/v2/application-keys, /v2/signing-keys): the one resource that takes tokens that manage the service. */
const ADMIN_API_PATH = "/v2/application-keys";

/**
 * The `aud` of every token that carries application_keys or signing_keys, and the only one the
 * admin API accepts: managing the service is its own audience, so such a token is refused by
 * every API that checks its audience, and an API token is never accepted by the admin API.
 * Its value names the application-keys API, as it did before the signing-keys API joined it.
 */
export const adminAudience = (issuer: string): string => `${issuer.replace(/\/+$/, "")}${ADMIN_API_PATH}`;
