import { type Env, issuerFor, settings } from "../config/settings.ts";
import { parseBasic } from "../http/basic.ts";
import { REALM } from "../http/bearer.ts";
import { noteClient } from "../http/context.ts";
import { type Form, param } from "../http/form.ts";
import { badRequest, HttpError } from "../lib/errors.ts";
import { CLOCK_SKEW_SECONDS } from "../lib/limits.ts";
import { type ApplicationKey, authMethodOf, livePreviousSecretHash } from "../store/application-keys.ts";
import { getApplicationKey, heldApplicationKey } from "../store/key-records.ts";
import { CLIENT_ID_PATTERN } from "../store/kv-keys.ts";
import { ledger } from "../store/ledger.ts";
import { assertedClientId, checkClientAssertion, JWT_BEARER_ASSERTION } from "./client-assertion.ts";
import { secretMatches } from "./secret.ts";
import { failedAuthentication } from "./throttle.ts";

export type AuthMethod = "client_secret_basic" | "client_secret_post" | "private_key_jwt" | "none";

/** What the caller presented; nothing is checked yet. */
export interface PresentedClient {
  method: AuthMethod;
  clientId: string;
  clientSecret?: string | undefined;
  /** private_key_jwt: the signed assertion (RFC 7523). */
  assertion?: string | undefined;
}

/**
 * Client credentials from HTTP Basic, the form body (RFC 6749 §2.3.1) or a client assertion
 * (RFC 7523 §2.2), or undefined when there are none. Using more than one at once is refused (a
 * client MUST NOT use more than one method); a client_id in the body that repeats the client's
 * own is tolerated, since common clients send it.
 */
export function presentedClient(request: Request, form: Form): PresentedClient | undefined {
  const basic = parseBasic(request.headers.get("Authorization"));
  const bodyId = param(form, "client_id");
  const bodySecret = param(form, "client_secret");
  const assertionType = param(form, "client_assertion_type");
  const assertion = param(form, "client_assertion");
  if (assertionType !== undefined || assertion !== undefined) {
    if (assertionType !== JWT_BEARER_ASSERTION) {
      throw badRequest(`The parameter "client_assertion_type" must be ${JWT_BEARER_ASSERTION}.`);
    }
    if (assertion === undefined) throw badRequest('The parameter "client_assertion" is required with "client_assertion_type".');
    if (basic || bodySecret !== undefined)
      throw badRequest("Send one kind of client credentials: a client assertion, or a secret, not both.");
    // Which client it claims to be, to find its keys; a client_id beside it must be the same.
    const claimed = assertedClientId(assertion);
    return {
      method: "private_key_jwt",
      clientId: claimed === undefined || (bodyId !== undefined && bodyId !== claimed) ? "" : claimed,
      assertion,
    };
  }
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
 * - `confidential`: the client proves itself: its secret, or an assertion signed with its key.
 * - `public`: the client_id alone must exist (implicit grant); credentials sent along are ignored.
 * - `either`: confidential when credentials were sent, public otherwise.
 */
export type AuthMode = "confidential" | "public" | "either";

/** An identifier the request uses once, to be marked used in the client's ledger beside its assertion's. */
export interface UseOnce {
  name: string;
  /** epoch seconds: until then it must not be used again. */
  until: number;
  /** What to answer when it was used before. */
  reused: () => HttpError;
}

/**
 * Authenticates the caller. Unknown client and wrong credentials give the same 401, and a
 * secret check costs the same for both (a hash and a constant-time compare against a dummy
 * digest). A key holds one kind of credential: a private_key_jwt key has no secret, and a
 * secret key's assertions are refused. A correct credential always passes; a failure is
 * counted against the caller's address, and over its limit is a 429.
 *
 * The assertion's jti, and `alsoOnce` (a DPoP proof's jti), are marked used in the client's
 * ledger in one request, across all locations: a second use anywhere is refused.
 */
export async function authenticateClient(
  request: Request,
  env: Env,
  presented: PresentedClient | undefined,
  mode: AuthMode,
  alsoOnce?: UseOnce,
): Promise<{ client: ApplicationKey; confidential: boolean }> {
  if (presented === undefined) throw authenticationFailed("client_secret_basic");
  const hasCredentials = presented.clientSecret !== undefined || presented.assertion !== undefined;
  const confidential = mode === "confidential" || (mode === "either" && hasCredentials);
  if (confidential && !hasCredentials) throw authenticationFailed("client_secret_basic");
  // Only an id of our shape is logged or counted: a pasted secret or 16 KiB of junk is "-".
  const clientId = CLIENT_ID_PATTERN.test(presented.clientId) ? presented.clientId : undefined;
  noteClient(request, clientId ?? "-");

  const cacheSeconds = settings(env).clientCacheSeconds;
  const held = heldApplicationKey(presented.clientId, cacheSeconds);
  const client = held !== undefined ? held : await getApplicationKey(env, presented.clientId, cacheSeconds);
  const once: UseOnce[] = [];
  let ok = client !== null;
  if (confidential && presented.assertion !== undefined) {
    const issuer = issuerFor(request, settings(env));
    const checked =
      client && authMethodOf(client) === "private_key_jwt"
        ? await checkClientAssertion(presented.assertion, client, [issuer, `${issuer}/oauth/access_token`])
        : undefined;
    ok = checked !== undefined;
    if (checked)
      once.push({
        name: `assertion:${checked.jti}`,
        until: checked.exp + CLOCK_SKEW_SECONDS,
        reused: () => authenticationFailed("private_key_jwt"),
      });
  } else if (confidential) {
    ok =
      (await secretMatches(presented.clientSecret!, client?.secret_hash, client ? livePreviousSecretHash(client) : undefined)) &&
      client !== null &&
      authMethodOf(client) !== "private_key_jwt";
  }
  if (!ok || !client) throw await failedAuthentication(env, request, clientId, authenticationFailed(presented.method));

  if (alsoOnce) once.push(alsoOnce);
  if (once.length > 0) {
    const used = await ledger(env, client.client_id).useOnce(once.map(({ name, until }) => ({ name, until })));
    if (!used.ok) {
      const reused = once.find((o) => o.name === used.used)!.reused();
      // A replayed assertion is a failed authentication like any other.
      throw reused.code === "invalid_client" ? await failedAuthentication(env, request, clientId, reused) : reused;
    }
  }
  return { client, confidential };
}

function authenticationFailed(method: AuthMethod): HttpError {
  return new HttpError(401, "invalid_client", "Client authentication failed.", {
    headers: method === "client_secret_basic" ? { "WWW-Authenticate": `Basic realm="${REALM}"` } : {},
  });
}
