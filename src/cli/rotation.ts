import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { readDevVar, writeDevVar } from "./dev-vars.ts";
import { generateSigningKey, type SigningAlg } from "./new-signing-key.ts";
import { writePrivateFile } from "./private-file.ts";

type Jwk = Record<string, string>;
type KeySetJson = { keys: Jwk[] };

/**
 * Where the current SIGNING_KEYS comes from: a file (`-` for stdin), or locally .dev.vars.
 * A deployed secret cannot be read back, so for a deployed Worker pass the value you keep.
 */
async function readKeys(file: string | undefined): Promise<KeySetJson> {
  const raw =
    file === undefined ? await readDevVar("SIGNING_KEYS") : file === "-" ? await text(process.stdin) : await readFile(file, "utf8");
  if (raw === undefined || raw.trim() === "") return { keys: [] };
  const parsed = JSON.parse(raw) as KeySetJson;
  if (!Array.isArray(parsed.keys)) throw new Error('SIGNING_KEYS must be {"keys":[...]}');
  return parsed;
}

/**
 * Where the new SIGNING_KEYS goes: `out` (0600), or locally .dev.vars; with --keys-file and no
 * --out it is only printed. What goes to stdout holds private keys only in that last case.
 */
async function writeKeys(set: KeySetJson, o: { keysFile: string | undefined; out: string | undefined }): Promise<string> {
  const value = JSON.stringify(set);
  if (o.out !== undefined) {
    await writePrivateFile(o.out, `${value}\n`);
    return JSON.stringify({ out: o.out, kids: set.keys.map((k) => k.kid), signer: set.keys[0]?.kid });
  }
  if (o.keysFile === undefined) await writeDevVar("SIGNING_KEYS", value);
  return value;
}

/**
 * rotate: a new key is published second (verifiers learn it) but does not sign yet; with no
 * keys at all it becomes the only key. rotate --activate: the key published by the last
 * rotate becomes the signer; the old signer stays published so its tokens keep verifying.
 * drop KID: stops publishing a key (after TOKEN_TTL_SECONDS its tokens have expired anyway).
 */
export async function signing(
  command: string | undefined,
  o: { alg: SigningAlg; activate: boolean; keysFile: string | undefined; out: string | undefined; kid: string | undefined },
): Promise<{ value: string; message: string }> {
  const set = await readKeys(o.keysFile);
  let message: string;
  if (command === "rotate" && o.activate) {
    const next = set.keys[1];
    if (!next) throw new Error("nothing to activate: run `signing rotate` first to publish a new key");
    set.keys = [next, set.keys[0]!, ...set.keys.slice(2)];
    message = `key ${next.kid} now signs; the previous signer stays published until you drop it`;
  } else if (command === "rotate") {
    const key = await generateSigningKey(o.alg);
    set.keys.splice(set.keys.length ? 1 : 0, 0, key);
    message =
      set.keys.length === 1
        ? `new ${o.alg} key ${key.kid} is the only key and signs`
        : `new ${o.alg} key ${key.kid} is published but not active; activate it after the JWKS max-age (300 s)`;
  } else if (command === "drop") {
    if (!o.kid) throw new Error("drop needs --kid, the kid of the key to remove");
    if (set.keys[0]?.kid === o.kid) throw new Error("refusing to drop the active signing key");
    const before = set.keys.length;
    set.keys = set.keys.filter((k) => k.kid !== o.kid);
    if (set.keys.length === before) throw new Error(`no key with kid ${o.kid}`);
    message = `key ${o.kid} is no longer published; tokens it signed stop verifying`;
  } else {
    throw new Error("signing needs rotate [--activate] or drop KID");
  }
  const value = await writeKeys(set, o);
  const where = o.out !== undefined ? ` (written to ${o.out})` : o.keysFile === undefined ? " (.dev.vars updated; restart npm start)" : "";
  return { value, message: message + where };
}
