import { readAtMost } from "./streams.ts";

/**
 * DEFLATE in the ZLIB format (RFC 1950, RFC 1951), as draft-ietf-oauth-status-list §4.1 has a
 * status list compressed: Web streams only, so the same code runs in workerd and on Node.
 */
export async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflates at most `maxBytes`; more, or a stream that is not ZLIB, throws. */
export async function inflate(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate"));
  const out = await readAtMost(stream, maxBytes);
  if (out === undefined) throw new RangeError(`inflated data is larger than ${maxBytes} bytes`);
  return out;
}
