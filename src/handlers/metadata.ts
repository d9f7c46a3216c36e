import { type Env, issuerFor, settings } from "../config/settings.ts";
import { json, PUBLIC_CACHE } from "../http/response.ts";
import { adminAudience } from "../oauth/resource.ts";
import { CUTOFFS_PATH, STATUS_LISTS_PATH } from "../oauth/status.ts";
import { CLIENT_ALGORITHMS } from "../tokens/client-keys.ts";

const AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];

/** GET /.well-known/oauth-authorization-server (RFC 8414) */
export function getMetadata(request: Request, env: Env): Response {
  const s = settings(env);
  const issuer = issuerFor(request, s);
  return json(
    {
      issuer,
      token_endpoint: `${issuer}/oauth/access_token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      // The root page: what the service is, with links to the OpenAPI description and the README.
      service_documentation: `${issuer}/`,
      grant_types_supported: ["client_credentials", "implicit"],
      response_types_supported: ["token"],
      token_endpoint_auth_methods_supported: AUTH_METHODS,
      revocation_endpoint_auth_methods_supported: AUTH_METHODS,
      introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
      token_endpoint_auth_signing_alg_values_supported: CLIENT_ALGORITHMS,
      revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ALGORITHMS,
      introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ALGORITHMS,
      dpop_signing_alg_values_supported: CLIENT_ALGORITHMS,
      scopes_supported: s.scopes,
      // draft-ietf-oauth-status-list §9.1: where the status lists every token names are listed.
      status_list_aggregation_endpoint: `${issuer}${STATUS_LISTS_PATH}`,
      // Not in RFC 8414: the cut-offs document a verifier needs beside the lists (docs/verifying-tokens.md).
      cutoffs_endpoint: `${issuer}${CUTOFFS_PATH}`,
      // Not in RFC 8414: the aud of every token that manages keys, accepted by the admin API alone.
      application_keys_audience: adminAudience(issuer),
    },
    200,
    PUBLIC_CACHE,
  );
}
