import type { Env } from "../env.ts";
import { parseBasic } from "../http/basic.ts";
import { badRequest, HttpError } from "../http/errors.ts";
import { type Form, param } from "../http/form.ts";
import { getClient, type ClientRecord } from "../store/clients.ts";
import { secretMatches } from "./secret.ts";

export type AuthMethod = "client_secret_basic" | "client_secret_post" | "none";

/** What the caller presented; nothing is checked yet. */
export interface PresentedClient {
  method: AuthMethod;
  clientId: string;
  clientSecret: string | undefined;
}

export const REALM = "edge-token";

/**
 * Client credentials from HTTP Basic or the form body (RFC 6749 §2.3.1). Using both at once
 * is refused (a client MUST NOT use more than one method); a client_id in the body that
 * repeats the Basic one is tolerated, since common clients send it.
 */
export function presentedClient(request: Request, form: Form): PresentedClient | undefined {
  const basic = parseBasic(request.headers.get("Authorization"));
  const bodyId = param(form, "client_id");
  const bodySecret = param(form, "client_secret");
  if (basic) {
    if (bodySecret !== undefined || (bodyId !== undefined && bodyId !== basic.clientId)) {
      throw badRequest("Send client credentials either in the Authorization header or in the body, not both.");
    }
    if (basic.clientId === "") throw badRequest("The client_id is required.");
    return { method: "client_secret_basic", clientId: basic.clientId, clientSecret: basic.clientSecret };
  }
  if (bodyId === undefined) return undefined;
  return {
    method: bodySecret === undefined ? "none" : "client_secret_post",
    clientId: bodyId,
    clientSecret: bodySecret,
  };
}

/**
 * A confidential client: the secret must match. Unknown client and wrong secret give the
 * same 401 after the same work.
 */
export async function authenticateConfidential(env: Env, presented: PresentedClient): Promise<ClientRecord> {
  if (presented.clientSecret === undefined) {
    throw badRequest('The parameter "client_secret" is required.');
  }
  const client = await getClient(env.CLIENTS, presented.clientId);
  if (!(await secretMatches(presented.clientSecret, client?.secret_hash))) {
    throw authenticationFailed(presented.method);
  }
  return client!;
}

/**
 * Whoever calls the token, revocation or introspection endpoint: a confidential client when a
 * secret was presented, otherwise a public one (client_id alone), if `allowPublic`.
 */
export async function authenticateClient(
  env: Env,
  presented: PresentedClient | undefined,
  allowPublic: boolean,
): Promise<{ client: ClientRecord; confidential: boolean }> {
  if (presented === undefined) throw authenticationFailed("client_secret_basic");
  if (presented.clientSecret !== undefined) return { client: await authenticateConfidential(env, presented), confidential: true };
  if (!allowPublic) throw authenticationFailed("client_secret_basic");
  return { client: await authenticatePublic(env, presented), confidential: false };
}

/** A public client (implicit grant): the client_id alone must exist. */
export async function authenticatePublic(env: Env, presented: PresentedClient): Promise<ClientRecord> {
  const client = await getClient(env.CLIENTS, presented.clientId);
  if (!client) throw authenticationFailed(presented.method);
  return client;
}

export function authenticationFailed(method: AuthMethod): HttpError {
  return new HttpError(401, "invalid_client", "Client authentication failed.", {
    headers: method === "client_secret_basic" ? { "WWW-Authenticate": `Basic realm="${REALM}"` } : {},
  });
}
