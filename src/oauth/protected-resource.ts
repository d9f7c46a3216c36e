import { isResourceUri, isWrittenAsParsed } from "./resource.ts";

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): what a resource server says about itself so
 * that a client (an MCP client among them) finds the authorization server that issues tokens
 * for it. Pure: the document and where it is served.
 */

/** RFC 9728 §3: the well-known path, under the resource's host. */
export const PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource";

/** §2's members this verifier can state. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  dpop_signing_alg_values_supported: string[];
  resource_name?: string;
}

/** A resource as its server describes it. */
export interface ResourceDescription {
  /** The resource identifier (RFC 9728 §1.2, RFC 8707): an absolute https URL without a fragment, the `aud` of tokens for it. */
  uri: string;
  /** `resource_name`: for people. */
  name?: string;
  /** `scopes_supported`: the scopes a token for it may carry that it uses. */
  scopes?: string[];
}

/**
 * Where the metadata of `resource` is served (§3.1): the well-known path between the host and
 * the resource's own path and query, a trailing slash after the host dropped.
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const u = new URL(resource);
  const path = u.pathname === "/" ? "" : u.pathname;
  return `${u.origin}${PROTECTED_RESOURCE_PATH}${path}${u.search}`;
}

/** The metadata document (§2, §3.2) of a resource whose tokens `issuer` issues. */
export function protectedResourceMetadata(
  d: ResourceDescription,
  issuer: string,
  dpopAlgorithms: readonly string[],
): ProtectedResourceMetadata {
  // Clients compare the document's `resource` with the identifier they asked about as strings
  // (§3.3), and the URL goes into a quoted challenge: only the text a URL parser writes back.
  const u = typeof d?.uri === "string" && isResourceUri(d.uri) ? new URL(d.uri) : undefined;
  if (u === undefined || u.protocol !== "https:" || u.username !== "" || u.password !== "" || !isWrittenAsParsed(d.uri, u)) {
    throw new TypeError(
      '"resource.uri" must be the resource\'s identifier: an absolute https URL without a fragment or user info, written as a URL parser writes it (RFC 9728 §1.2)',
    );
  }
  if (d.name !== undefined && (typeof d.name !== "string" || d.name.trim() === "")) {
    throw new TypeError('"resource.name" must be a non-empty string');
  }
  if (
    d.scopes !== undefined &&
    !(Array.isArray(d.scopes) && d.scopes.every((s) => typeof s === "string" && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s)))
  ) {
    throw new TypeError('"resource.scopes" must be scope tokens (RFC 6749 §3.3)');
  }
  return {
    resource: d.uri,
    authorization_servers: [issuer],
    // §2: a member with no values is left out, not sent empty.
    ...(d.scopes === undefined || d.scopes.length === 0 ? {} : { scopes_supported: [...d.scopes] }),
    // Only the Authorization header: a token in a body or a query string is refused here.
    bearer_methods_supported: ["header"],
    dpop_signing_alg_values_supported: [...dpopAlgorithms],
    ...(d.name === undefined ? {} : { resource_name: d.name }),
  };
}
