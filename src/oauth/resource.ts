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
