import { type Env, settings } from "../config/settings.ts";
import { StatusUnavailableError } from "../lib/errors.ts";
import { MAX_STATUS_LIST_BYTES } from "../lib/limits.ts";
import { listOfUri } from "../oauth/status.ts";
import { decodeList } from "../oauth/status-list.ts";
import { cutoffsDocument, statusListDocument } from "../store/status-documents.ts";
import { signingKeys } from "./signing-keys.ts";
import { StatusCheck, type StatusSource } from "./status-check.ts";
import { type VerifyOutcome, verifyAccessToken } from "./verify-access-token.ts";

export interface OwnTokenOptions {
  /**
   * The audiences to accept instead of this service's own. Default: AUDIENCE (or the issuer)
   * and every resource in RESOURCES, all of which this service issues tokens for.
   */
  audience?: string | readonly string[] | undefined;
  /** false: only AUDIENCE (or the issuer), as for a token used on this service itself. */
  resources?: boolean;
  /** Tokens for the admin API pass too (introspection, revocation). */
  acceptAdmin?: boolean;
  /** false: a token's status is not looked at (revoking a token needs only to know it is ours). */
  status?: boolean;
}

/**
 * Verification of this service's own tokens, as the token service itself sees them: its own
 * key set, its settings, its status documents. Introspection, revocation, the RPC entrypoint
 * and the admin API all come through here.
 */
export async function verifyOwnToken(env: Env, token: unknown, o: OwnTokenOptions = {}): Promise<VerifyOutcome> {
  const keys = await signingKeys(env);
  const s = settings(env);
  return verifyAccessToken(token, {
    key: (kid) => keys.verifiers.get(kid),
    issuer: s.issuer,
    audience: o.audience ?? s.audience,
    resources: o.audience === undefined && o.resources !== false ? s.resources : undefined,
    acceptAdmin: o.acceptAdmin,
    revocations: o.status === false ? undefined : ownStatus(env),
    verified: keys.verified,
  });
}

/**
 * Where the service answers for a token itself (introspection, the admin API), a token whose
 * status it cannot learn is a 500: its store cannot answer, and neither "active" nor "inactive"
 * would be true.
 */
export function assertStatusKnown(outcome: VerifyOutcome): void {
  if (!outcome.ok && "cause" in outcome) throw new StatusUnavailableError("a token's status could not be had", { cause: outcome.cause });
}

// The env object lives as long as the isolate: so does each one's status cache.
const checks = new WeakMap<object, StatusCheck>();

/** This service's status check: the documents as its own KV holds them, cached per isolate. */
function ownStatus(env: Env): StatusCheck {
  let check = checks.get(env);
  if (!check) {
    check = new StatusCheck(kvStatusSource(env), settings(env).revocationCacheSeconds);
    checks.set(env, check);
  }
  return check;
}

/** The status documents as this service holds them: in KV, authenticated (the registry's copy where KV has none yet, or one that does not check out). */
function kvStatusSource(env: Env): StatusSource {
  const ttlSeconds = settings(env).revocationCacheSeconds;
  return {
    async list(uri, iss) {
      const list = listOfUri(iss, uri);
      const doc = list === undefined ? null : await statusListDocument(env, list);
      return doc && { value: await decodeList(doc.value, MAX_STATUS_LIST_BYTES), ttlSeconds, issuedAt: doc.iat };
    },
    async cutoffs() {
      const doc = await cutoffsDocument(env);
      return { value: doc.value, ttlSeconds, issuedAt: doc.iat };
    },
  };
}
