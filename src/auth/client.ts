import { type Env, settings } from "../env.ts";
import { parseBasic } from "../http/basic.ts";
import { REALM } from "../http/bearer.ts";
import { noteClient } from "../http/context.ts";
import { badRequest, HttpError } from "../http/errors.ts";
import { type Form, param } from "../http/form.ts";
import { clientsKv } from "../store/bindings.ts";
import { type ClientRecord, getClient } from "../store/clients.ts";
import { CLIENT_ID_PATTERN } from "../store/kv-keys.ts";
import { secretMatches } from "./secret.ts";
import { failedAuthentication } from "./throttle.ts";

export type AuthMethod = "client_secret_basic" | "client_secret_post" | "none";

/** What the caller presented; nothing is checked yet. */
export interface PresentedClient {
  method: AuthMethod;
  clientId: string;
  clientSecret: string | undefined;
}

/**
 * Client credentials from HTTP Basic or the form body (RFC 6749 §2.3.1), or undefined when
 * there are none. Using both at once is refused (a client MUST NOT use more than one method);
 * a client_id in the body that repeats the Basic one is tolerated, since common clients send it.
 */
export function presentedClient(request: Request, form: Form): PresentedClient | undefined {
  const basic = parseBasic(request.headers.get("Authorization"));
  const bodyId = param(form, "client_id");
  const bodySecret = param(form, "client_secret");
  if (basic) {
    if (bodySecret !== undefined || (bodyId !== undefined && bodyId !== basic.clientId)) {
      throw badRequest("Send client credentials either in the Authorization header or in the body, not both.");
    }
    if (basic.clientId === "") throw badRequest('The parameter "client_id" is required.');
    return { method: "client_secret_basic", clientId: basic.clientId, clientSecret: basic.clientSecret };
  }
  if (bodyId === undefined) return undefined;
  return { method: bodySecret === undefined ? "none" : "client_secret_post", clientId: bodyId, clientSecret: bodySecret };
}

/**
 * - `secret`: a confidential client; the secret must match.
 * - `public`: the client_id alone must exist (implicit grant); a secret sent along is ignored.
 * - `either`: confidential when a secret was sent, public otherwise.
 */
export type AuthMode = "secret" | "public" | "either";

/**
 * Authenticates the caller. Unknown client and wrong secret give the same 401, and the secret
 * check costs the same for both (a hash and a constant-time compare against a dummy digest).
 * A correct credential always passes; a failure is counted against the caller's address, and
 * over its limit is a 429.
 */
export async function authenticateClient(
  request: Request,
  env: Env,
  presented: PresentedClient | undefined,
  mode: AuthMode,
): Promise<{ client: ClientRecord; confidential: boolean }> {
  if (presented === undefined) throw authenticationFailed("client_secret_basic");
  const confidential = mode === "secret" || (mode === "either" && presented.clientSecret !== undefined);
  if (confidential && presented.clientSecret === undefined) throw authenticationFailed("client_secret_basic");
  // Only an id of our shape is logged or counted: a pasted secret or 16 KiB of junk is "-".
  const clientId = CLIENT_ID_PATTERN.test(presented.clientId) ? presented.clientId : undefined;
  noteClient(request, clientId ?? "-");

  const client = await getClient(clientsKv(env), presented.clientId, settings(env).clientCacheSeconds);
  const ok = confidential ? await secretMatches(presented.clientSecret!, client?.secret_hash) : client !== null;
  if (!ok || !client) throw await failedAuthentication(env, request, clientId, authenticationFailed(presented.method));
  return { client, confidential };
}

export function authenticationFailed(method: AuthMethod): HttpError {
  return new HttpError(401, "invalid_client", "Client authentication failed.", {
    headers: method === "client_secret_basic" ? { "WWW-Authenticate": `Basic realm="${REALM}"` } : {},
  });
}
