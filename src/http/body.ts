import { HttpError } from "../lib/errors.ts";
import { MAX_BODY_BYTES } from "../lib/limits.ts";
import { readAtMost } from "../lib/streams.ts";

const tooLarge = () => new HttpError(413, "request_too_large", `The request body must not exceed ${MAX_BODY_BYTES} bytes.`);

/**
 * Reads the body as text, refusing more than `limit` bytes: up front by Content-Length, and
 * while streaming for bodies sent without one (chunked), so a client cannot make us buffer
 * an unbounded body.
 */
export async function readText(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = request.headers.get("Content-Length");
  if (declared !== null && Number(declared) > limit) throw tooLarge();
  // With a declared length within the limit, HTTP framing bounds the body: it is read in one
  // go by the runtime's own decoder (far cheaper than a buffer decoded in JavaScript), and a
  // request without a body reads as "". A string never has more UTF-16 units than UTF-8 bytes,
  // so its length still catches a body that lied. A body without a declared length is counted
  // as it comes.
  if (declared !== null && /^\d+$/.test(declared)) {
    const text = await request.text();
    if (text.length > limit) throw tooLarge();
    return text;
  }
  if (!request.body) return "";

  const bytes = await readAtMost(request.body, limit);
  if (bytes === undefined) throw tooLarge();
  return decoder.decode(bytes);
}

const decoder = new TextDecoder();

/** The media type without parameters, lower-cased; "" when absent. */
export function mediaType(request: Request): string {
  const ct = request.headers.get("Content-Type") ?? "";
  const semi = ct.indexOf(";");
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}
