/** CORS_ALLOWED_ORIGINS as parsed: any origin, or these. */
export type AllowedOrigins = "*" | ReadonlySet<string>;

// What browsers send here: the Elastic Path JS SDK adds its X-MOLTIN-SDK-* headers to every
// call, Basic client credentials come in Authorization, and a storefront binding its token to a
// browser key sends its proof in DPoP.
const ALLOW_HEADERS = "Authorization, Content-Type, DPoP, X-MOLTIN-SDK-LANGUAGE, X-MOLTIN-SDK-VERSION";
const PREFLIGHT_MAX_AGE = "86400";

/** The Access-Control-Allow-Origin value for this request's Origin, if it is allowed. */
function allowedOrigin(request: Request, origins: AllowedOrigins): string | undefined {
  if (origins === "*") return "*";
  const origin = request.headers.get("Origin");
  return origin !== null && origins.has(origin) ? origin : undefined;
}

/** Answer to a CORS preflight for a path that exists; `withCors` adds the origin like on any response. */
export function preflight(methods: readonly string[]): Response {
  return new Response(null, {
    status: 204,
    headers: {
      "Access-Control-Allow-Methods": [...methods, "OPTIONS"].join(", "),
      "Access-Control-Allow-Headers": ALLOW_HEADERS,
      "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    },
  });
}

/**
 * Adds the CORS headers in place: every response here is built by us, so its headers are
 * mutable. The responses that carry headers a browser script must be allowed to read are built
 * with Access-Control-Expose-Headers already (errorResponse), so only the origin is set here.
 */
export function withCors(response: Response, request: Request, origins: AllowedOrigins): Response {
  const origin = allowedOrigin(request, origins);
  if (origin !== undefined) response.headers.set("Access-Control-Allow-Origin", origin);
  if (origins !== "*") response.headers.append("Vary", "Origin");
  return response;
}
