import { Router } from "itty-router";
import { type Env, settings } from "./env.ts";
import { jwks } from "./handlers/jwks.ts";
import { metadata } from "./handlers/metadata.ts";
import { createKey, deleteKey, getKey, listKeys, updateKey } from "./handlers/application-keys.ts";
import { introspect } from "./handlers/introspect.ts";
import { revoke } from "./handlers/revoke.ts";
import { token } from "./handlers/token.ts";
import { preflight, withCors } from "./http/cors.ts";
import { errorResponse, GENERIC_500_DETAIL, HttpError } from "./http/errors.ts";
import { context } from "./http/context.ts";
import { logRequest } from "./log.ts";

type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/** The route table: path → method → handler. Everything else is a 404 or a 405. */
export const routes: Record<string, Record<string, Handler>> = {
  "/oauth/access_token": { POST: token },
  "/oauth/revoke": { POST: revoke },
  "/oauth/introspect": { POST: introspect },
  "/v2/application-keys": { GET: listKeys, POST: createKey },
  "/v2/application-keys/:id": { GET: getKey, PUT: updateKey, DELETE: deleteKey },
  "/.well-known/jwks.json": { GET: jwks },
  "/.well-known/oauth-authorization-server": { GET: metadata },
};

const router = Router<Request, [Env, ExecutionContext], Response>({
  // Settings first: a misconfigured deployment answers 500 on every path, not just some.
  before: [(request: Request, env: Env) => void (context(request), settings(env))],
  catch: toErrorResponse,
  finally: [finish],
});

for (const [path, methods] of Object.entries(routes)) {
  for (const [method, handler] of Object.entries(methods)) router[method.toLowerCase()]!(path, handler);
  router.options(path, () => preflight(Object.keys(methods)));
  const allow = [...Object.keys(methods), "OPTIONS"].join(", ");
  router.all(path, () => {
    throw new HttpError(405, "method_not_allowed", "This method is not allowed on this path.", { headers: { Allow: allow } });
  });
}
router.all("*", () => {
  throw new HttpError(404, "not_found", "There is nothing at this path.");
});

/** The one place a thrown error becomes a response; anything unexpected is a logged 500. */
function toErrorResponse(error: unknown, request: Request): Response {
  const c = context(request);
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

export const handle = (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> =>
  router.fetch(request, env, ctx);
