import { type Env, settings } from "./env.ts";
import { auditTrail } from "./handlers/application-key-audit.ts";
import { createKey, deleteKey, getKey, listKeys, updateKey } from "./handlers/application-keys.ts";
import { docsDocument, openapi, readmeDocument } from "./handlers/documents.ts";
import { introspect } from "./handlers/introspect.ts";
import { jwks } from "./handlers/jwks.ts";
import { metadata } from "./handlers/metadata.ts";
import { revoke } from "./handlers/revoke.ts";
import { root } from "./handlers/root.ts";
import { token } from "./handlers/token.ts";
import { context, type RequestContext } from "./http/context.ts";
import { preflight, withCors } from "./http/cors.ts";
import { errorResponse, GENERIC_500_DETAIL, HttpError } from "./http/errors.ts";
import { withoutTrailingSlashes } from "./http/path.ts";
import { logRequest } from "./log.ts";

type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/** The route table: path → method → handler. Everything else is a 404 or a 405. */
export const routes: Record<string, Record<string, Handler>> = {
  "/oauth/access_token": { POST: token },
  "/oauth/revoke": { POST: revoke },
  "/oauth/introspect": { POST: introspect },
  "/v2/application-keys": { GET: listKeys, POST: createKey },
  "/v2/application-keys/audit": { GET: auditTrail },
  "/v2/application-keys/:id": { GET: getKey, PUT: updateKey, DELETE: deleteKey },
  "/.well-known/jwks.json": { GET: jwks },
  "/.well-known/oauth-authorization-server": { GET: metadata },
  "/openapi.json": { GET: openapi },
  "/README.md": { GET: readmeDocument },
  "/docs/:name": { GET: docsDocument },
  "/": { GET: root },
};

// Looked up by exact path, so the token endpoint costs one Map lookup (a regex per route, as
// itty-router's loop did, measured at about 100,000 instructions a request). A path with one
// `:name` segment is matched by its prefix.
const exact = new Map<string, Record<string, Handler>>();
const withParam: { prefix: string; name: string; methods: Record<string, Handler> }[] = [];
for (const [path, methods] of Object.entries(routes)) {
  const colon = path.lastIndexOf("/:");
  if (colon < 0) exact.set(path, methods);
  else withParam.push({ prefix: path.slice(0, colon + 1), name: path.slice(colon + 2), methods });
}

function route(c: RequestContext): Record<string, Handler> | undefined {
  // Trailing slashes are tolerated.
  const path = withoutTrailingSlashes(c.pathname);
  const found = exact.get(path);
  if (found) return found;
  for (const r of withParam) {
    const value = path.startsWith(r.prefix) ? path.slice(r.prefix.length) : "";
    if (value !== "" && !value.includes("/")) {
      c.params = { [r.name]: value };
      return r.methods;
    }
  }
  return undefined;
}

/** The one place a request is routed, an error becomes a response, and the line is logged. */
export async function handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const c = context(request);
  let response: Response;
  try {
    // Settings first: a misconfigured deployment answers 500 on every path, not just some.
    settings(env);
    response = await dispatch(request, env, ctx, c);
  } catch (error) {
    response = toErrorResponse(error, c);
  }
  return finish(response, request, env);
}

function dispatch(request: Request, env: Env, ctx: ExecutionContext, c: RequestContext): Response | Promise<Response> {
  const methods = route(c);
  if (!methods) throw new HttpError(404, "not_found", "There is nothing at this path.");
  const handler = methods[request.method];
  if (handler) return handler(request, env, ctx);
  if (request.method === "OPTIONS") return preflight(Object.keys(methods));
  throw new HttpError(405, "method_not_allowed", "This method is not allowed on this path.", {
    headers: { Allow: [...Object.keys(methods), "OPTIONS"].join(", ") },
  });
}

/** Anything unexpected is a logged 500 with the generic detail. */
function toErrorResponse(error: unknown, c: RequestContext): Response {
  if (error instanceof HttpError) {
    c.outcome ??= error.code;
    return error.toResponse();
  }
  c.outcome = "server_error";
  c.error = error;
  return errorResponse(500, "server_error", GENERIC_500_DETAIL);
}

function finish(response: Response, request: Request, env: Env): Response {
  let origins: ReturnType<typeof settings>["corsOrigins"] = "*";
  try {
    origins = settings(env).corsOrigins;
  } catch {
    // A broken setting is already this response's 500; CORS falls back to "*".
  }
  logRequest(request, response);
  return withCors(response, request, origins);
}
