/**
 * Every KV key this service writes, and the expiration rules that go with them.
 * docs: README.md "Storage schema".
 */

/** CLIENTS: the client record, looked up on every token request. */
export const clientKey = (clientId: string) => `client:${clientId}`;

/** CLIENTS: application-key id → client_id, so a key is found by id without a scan. */
export const appKeyIdKey = (id: string) => `appkey:${id}`;

/** REVOCATIONS: one revoked token, by its `jti`. */
export const revokedTokenKey = (jti: string) => `jti:${jti}`;

/** REVOCATIONS: every token of a client issued before a time. */
export const revokedClientKey = (clientId: string) => `client:${clientId}`;

/** CLIENTS: a client_id or caller IP locked after too many failed authentications; value: epoch seconds it ends. */
export const lockKey = (kind: "client" | "ip", id: string) => `lock:${kind}:${id}`;

/**
 * The client_id shape we issue (and a bound on what we look up): KV keys are limited to
 * 512 bytes, so anything else is answered as an unknown client without touching KV.
 */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
