/**
 * OAuth scope values (RFC 6749 §3.3): space-delimited scope-tokens, each one or more printable
 * ASCII characters other than space, `"` and `\`. A leaf: settings, the token endpoint, the
 * admin API and every verifier parse scopes here and nowhere else.
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export const isScopeToken = (value: string) => SCOPE_TOKEN.test(value);

/** The scope-tokens of a scope value, or undefined when it is not one (empty, double spaces, bad characters). */
export function parseScope(value: string): string[] | undefined {
  const tokens = value.split(" ");
  return tokens.every(isScopeToken) ? tokens : undefined;
}

/**
 * One spelling for a set of scopes: in the order of the vocabulary (SCOPES), each once. Tokens,
 * records and responses all carry this form, so equal sets compare equal as strings.
 */
export function formatScope(scopes: Iterable<string>, vocabulary: readonly string[]): string {
  const wanted = new Set(scopes);
  return vocabulary.filter((s) => wanted.has(s)).join(" ");
}

/** A scope value whose every scope is in the vocabulary, formatted; undefined when it is not one. */
export function scopeWithin(value: unknown, vocabulary: readonly string[]): string | undefined {
  const scopes = typeof value === "string" ? parseScope(value) : undefined;
  return scopes?.every((s) => vocabulary.includes(s)) ? formatScope(scopes, vocabulary) : undefined;
}

/** Whether every scope of `needed` is in `held`. */
export function covers(held: Iterable<string>, needed: Iterable<string>): boolean {
  const have = new Set(held);
  for (const s of needed) if (!have.has(s)) return false;
  return true;
}

/** The scope that grants the /v2/application-keys API, and nothing else does. */
export const APPLICATION_KEYS_SCOPE = "application_keys";

/** The scope that grants the /v2/signing-keys API (listing and rotating the service's signing keys), and nothing else does. */
export const SIGNING_KEYS_SCOPE = "signing_keys";

/** The scopes that manage the service itself: a token carrying one is for the admin API alone, and never browser code's. */
export const MANAGEMENT_SCOPES: readonly string[] = [APPLICATION_KEYS_SCOPE, SIGNING_KEYS_SCOPE];

/** Whether a scope value carries a right to manage the service. */
export const managesService = (scope: string): boolean => scope.split(" ").some((s) => MANAGEMENT_SCOPES.includes(s));
