/** RFC 8707 §2: a resource indicator is an absolute URI without a fragment. */
export function isResourceUri(value: string): boolean {
  return !value.includes("#") && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) && URL.canParse(value);
}
