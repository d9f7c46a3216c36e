import { badRequest } from "../lib/errors.ts";
import { formDecode } from "./form.ts";

export interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * HTTP Basic client credentials as RFC 6749 §2.3.1 defines them: id and secret are each
 * form-url-encoded before base64. Returns undefined when the header is absent or uses
 * another scheme; a malformed Basic header is a 400.
 */
export function parseBasic(header: string | null): BasicCredentials | undefined {
  if (header === null) return undefined;
  const h = header.trim();
  const space = h.indexOf(" ");
  if (space < 0 || h.slice(0, space).toLowerCase() !== "basic") return undefined;

  const malformed = () => badRequest("The Authorization header is not valid HTTP Basic credentials.");
  let decoded: string;
  try {
    const binary = atob(h.slice(space + 1).trim());
    decoded = utf8.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    throw malformed();
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) throw malformed();
  return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
}
