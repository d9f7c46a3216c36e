/**
 * Every KV key this service writes, and the expiration rules that go with them.
 * docs: docs/security.md, "Storage schema".
 */

/** CLIENTS: the application key, looked up on every token request. */
export const clientKey = (clientId: string) => `${CLIENT_PREFIX}${clientId}`;
export const CLIENT_PREFIX = "client:";

/**
 * CLIENTS: the permanent tombstone of a deleted client. KV has no conditional write, so a
 * record written back after a deletion (a racing update, a stale location) is an absence a
 * stale write can fill; the tombstone is what authentication, get and update honour.
 */
export const deletedClientKey = (clientId: string) => `${DELETED_PREFIX}${clientId}`;
export const DELETED_PREFIX = "deleted:";

/** CLIENTS: application-key id → client_id, so a key is found by id without a scan. */
export const appKeyIdKey = (id: string) => `${APP_KEY_ID_PREFIX}${id}`;
export const APP_KEY_ID_PREFIX = "appkey:";

/**
 * CLIENTS: the signing keys, as issuing and verifying isolates and the JWKS read them: every
 * key in the JWKS with its state and public half, the ones that sign or will sign sealed under
 * SIGNING_KEY_KEK. Written by the registry alone. In CLIENTS, which only edge-token binds: the
 * sealed private halves stay out of REVOCATIONS, which consumers of earlier verifiers bound
 * (docs/storage.md). Versions before this one kept it in REVOCATIONS; the registry deletes that copy.
 */
export const SIGNING_KEYS_KEY = "signing-keys";

/** REVOCATIONS: a status list (draft-ietf-oauth-status-list §4.2), by its name (`eu-17`, or `17` from before regions). */
export const statusListKey = (list: string) => `${STATUS_LIST_PREFIX}${list}`;
export const STATUS_LIST_PREFIX = "status-list:";

/** REVOCATIONS: the cut-offs document: per-client cut-offs and revoked tokens from before status lists. */
export const CUTOFFS_KEY = "cutoffs";

/**
 * REVOCATIONS: one revoked token, by its `jti`. Written for verifiers of earlier versions,
 * which read it; nothing of this version does.
 */
export const revokedTokenKey = (jti: string) => `jti:${jti}`;

/** REVOCATIONS: every token of a client issued before a time. Written for verifiers of earlier versions too. */
export const revokedClientKey = (clientId: string) => `client:${clientId}`;

/**
 * The client_id shape we issue: 160 random bits in hex. Anything else is answered as an unknown
 * client without touching KV, and is never logged.
 */
export const CLIENT_ID_PATTERN = /^[0-9a-f]{40}$/;

/** The application-key ids we issue: UUIDs (version 7). Anything else is no key, answered without a lookup. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
