/**
 * What to tell the caller when node:util's parseArgs refused a command's arguments (an unknown
 * option, one without its value, a word too many), or undefined for any other error. Every
 * command answers these with exit code 2. A stray word is not echoed: it may be a pasted secret.
 */
export function badArguments(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_")) return undefined;
  return code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL"
    ? "a word too many (not shown: it may be a pasted secret)."
    : (error as Error).message;
}
