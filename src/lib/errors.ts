/**
 * Every error this service raises on purpose, in one module: each carries a stable `code`, as
 * jose's errors do, so tests, logs and callers branch on the code, never on the message.
 */
export abstract class EdgeTokenError extends Error {
  abstract readonly code: string;
}

/**
 * HttpError is the one type for every failure a caller can see. It renders the reference's error shape,
 * `{"errors":[{title, status, detail, code}]}`; `code` is the RFC 6749 / RFC 6750 error code
 * where one applies, so OAuth clients can branch on it. The detail never carries a secret.
 */
export type ErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "invalid_target"
  | "invalid_token"
  | "invalid_dpop_proof"
  | "insufficient_scope"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "request_too_large"
  | "rate_limited"
  | "server_error"
  | "temporarily_unavailable";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

const EXPOSE = { "Access-Control-Expose-Headers": "WWW-Authenticate, Retry-After" };

export const GENERIC_500_DETAIL = "there was a problem processing your request";

export class HttpError extends EdgeTokenError {
  override name = "HttpError";
  readonly status: number;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: ErrorCode, detail: string, options: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.headers = options.headers ?? {};
  }

  toResponse(): Response {
    return errorResponse(this.status, this.code, this.detail, this.headers);
  }
}

export function errorResponse(status: number, code: ErrorCode, detail: string, headers: Record<string, string> = {}): Response {
  const body = { errors: [{ title: REASONS[status] ?? "Error", status: String(status), detail, code }] };
  // A browser script may read a challenge or a Retry-After only if CORS exposes it.
  const exposed = headers["WWW-Authenticate"] !== undefined || headers["Retry-After"] !== undefined ? EXPOSE : undefined;
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers, ...exposed },
  });
}

export const badRequest = (detail: string, code: ErrorCode = "invalid_request") => new HttpError(400, code, detail);

/** A deployment mistake, not a caller's: it surfaces as a logged 500 naming the setting. */
export class ConfigError extends EdgeTokenError {
  override name = "ConfigError";
  readonly code = "ERR_CONFIG";
}

/** A KV call that did not answer in time: failed, like any other KV error (a logged 500). */
export class KvTimeoutError extends EdgeTokenError {
  override name = "KvTimeoutError";
  readonly code = "ERR_KV_TIMEOUT";
}

/**
 * A Durable Object the request needs (the registry, a region's status object, a client's ledger)
 * threw or could not be reached: the service's trouble, never the caller's, answered 503 with
 * Retry-After; what it was is on the log line only.
 */
export class ObjectUnavailableError extends EdgeTokenError {
  override name = "ObjectUnavailableError";
  readonly code = "ERR_OBJECT_UNAVAILABLE";
}

/** A verifier could get no key set at all: the issuer is unreachable, not the token bad. */
export class JwksUnavailableError extends EdgeTokenError {
  override name = "JwksUnavailableError";
  readonly code = "ERR_JWKS_UNAVAILABLE";
}

/**
 * A verifier could get neither a fresh copy of a status document a token needs nor one young
 * enough to trust (STATUS_MAX_STALE_SECONDS): the token is refused (`status_unavailable`), never
 * guessed valid.
 */
export class StatusUnavailableError extends EdgeTokenError {
  override name = "StatusUnavailableError";
  readonly code = "ERR_STATUS_UNAVAILABLE";
}

/**
 * The service cannot sign: SIGNING_KEY_KEK is missing or malformed, or is not the key its
 * signing keys were sealed with. Found once per isolate, when it first needs its signing key;
 * every request that needs a signature is then a quick 503 whose log line says why (verifying,
 * the JWKS and everything else that needs no private key go on working).
 */
export class SigningUnavailableError extends EdgeTokenError {
  override name = "SigningUnavailableError";
  readonly code = "ERR_SIGNING_UNAVAILABLE";
}
