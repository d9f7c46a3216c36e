import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative } from "node:path";
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import { writePrivateFile } from "./private-file.ts";
import { UsageError } from "./rotation.ts";
import { ROOT } from "./wrangler.ts";

/**
 * `npm run keys -- client-key | client-assertion | dpop-proof`: what a client of edge-token
 * holds and sends, made at the command line so that private_key_jwt (RFC 7523) and DPoP
 * (RFC 9449) can be tried with curl before any client code is written. Nothing here talks to
 * the service: a client key is the client's own, and a real client makes these with its own
 * library (oauth4webapi, jose).
 *
 *   client-key NAME [--alg EdDSA|ES256|PS256]
 *       a key pair: its private JWK kept in .wrangler/client-keys/NAME.private.jwk.json (0600,
 *       gitignored), its public set {"keys":[…]} written to NAME.jwks.json for `create --jwks`
 *       and printed; a NAME that has a key already keeps it (the public set is written again)
 *   client-assertion NAME --client-id ID --aud URL
 *       a client assertion signed with NAME's key: iss = sub = ID, aud = URL (the issuer or its
 *       token endpoint), a fresh jti, iat now, exp two minutes on; each is used once
 *   dpop-proof NAME --url URL [--method POST] [--access-token TOKEN]
 *       a DPoP proof signed with NAME's key, the public key in its header: htm, htu (URL
 *       without query and fragment), iat now, a fresh jti, and for a request that presents a
 *       DPoP-bound token, ath (its SHA-256); the service takes it for 60 s, once
 */

export const CLIENT_KEY_ALGORITHMS = ["EdDSA", "ES256", "PS256"] as const;
export type ClientKeyAlgorithm = (typeof CLIENT_KEY_ALGORITHMS)[number];

/** How long a client assertion lives: long enough to paste it into a curl line, far under the service's five minutes. */
export const ASSERTION_LIFETIME_SECONDS = 120;

/** Where a client key's files are, unless a command names them. */
export interface ClientKeyFiles {
  /** The private JWK: in the checkout's gitignored .wrangler/, never beside the public set. */
  privateKey?: string | undefined;
  /** The public key set, relative to the working directory as `create --jwks` reads it. */
  jwks?: string | undefined;
}

/** A private JWK as the file holds it: its kid (the RFC 7638 thumbprint), its one algorithm. */
type PrivateJwk = JWK & { kty: string; kid: string; alg: ClientKeyAlgorithm };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** The members of a public key, by kty: nothing else goes into a key set or a proof's header. */
const PUBLIC_MEMBERS: Record<string, string[]> = { OKP: ["kty", "crv", "x"], EC: ["kty", "crv", "x", "y"], RSA: ["kty", "n", "e"] };

export const isClientKeyAlgorithm = (alg: string): alg is ClientKeyAlgorithm => (CLIENT_KEY_ALGORITHMS as readonly string[]).includes(alg);

export function privateKeyPath(name: string, files: ClientKeyFiles = {}): string {
  return files.privateKey ?? join(ROOT, ".wrangler/client-keys", `${checkedName(name)}.private.jwk.json`);
}

function checkedName(name: string): string {
  if (!NAME.test(name))
    throw new UsageError("a client key's name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
  return name;
}

const publicOf = (jwk: PrivateJwk): JWK => Object.fromEntries((PUBLIC_MEMBERS[jwk.kty] ?? []).map((m) => [m, jwk[m as keyof JWK]]));

/**
 * NAME's key pair, made unless NAME has one, and its public set written out: what to register
 * with `create --auth-method private_key_jwt --jwks FILE` (or a key's `jwks` in the admin API).
 */
export async function makeClientKey(
  name: string,
  o: { alg?: ClientKeyAlgorithm | undefined } & ClientKeyFiles,
): Promise<{ jwks: { keys: JWK[] }; made: boolean; privateKey: string; jwksFile: string }> {
  const privateKey = privateKeyPath(checkedName(name), o);
  const jwksFile = o.jwks ?? `${name}.jwks.json`;
  let key = await readPrivateKey(privateKey).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  const made = key === undefined;
  if (key === undefined) {
    const alg = o.alg ?? "EdDSA";
    const pair = await generateKeyPair(alg === "EdDSA" ? "Ed25519" : alg, { extractable: true });
    const jwk = await exportJWK(pair.privateKey);
    key = { ...jwk, kty: jwk.kty!, kid: "", alg, use: "sig" };
    key.kid = await calculateJwkThumbprint(publicOf(key));
    await mkdir(dirname(privateKey), { recursive: true, mode: 0o700 });
    await writePrivateFile(privateKey, `${JSON.stringify(key, null, 2)}\n`);
  } else if (o.alg !== undefined && o.alg !== key.alg) {
    throw new UsageError(`the client key ${name} is an ${key.alg} key (${privateKey}); give another name for an ${o.alg} one`);
  }
  const jwks = { keys: [{ ...publicOf(key), kid: key.kid, alg: key.alg, use: "sig" }] };
  await writeFile(jwksFile, `${JSON.stringify(jwks, null, 2)}\n`);
  return { jwks, made, privateKey, jwksFile };
}

async function readPrivateKey(path: string): Promise<PrivateJwk> {
  const jwk = JSON.parse(await readFile(path, "utf8")) as Partial<PrivateJwk>;
  if (typeof jwk.kty !== "string" || typeof jwk.kid !== "string" || !isClientKeyAlgorithm(String(jwk.alg)) || jwk.d === undefined) {
    throw new Error(`${path} is not a client key this command made (a private JWK with kid and alg)`);
  }
  return jwk as PrivateJwk;
}

/** NAME's private key, or an error that says how to make one. */
async function signingKey(name: string, files: ClientKeyFiles): Promise<{ jwk: PrivateJwk; key: CryptoKey }> {
  const path = privateKeyPath(name, files);
  const jwk = await readPrivateKey(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT")
      throw new Error(`there is no client key ${name} (${path}); make one with npm run keys -- client-key ${name}`);
    throw error;
  });
  return { jwk, key: (await importJWK(jwk, jwk.alg)) as CryptoKey };
}

const jti = () => randomBytes(16).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** RFC 7523 §2.2, §3: a JWT that authenticates the client ID at the token endpoint (also at /oauth/revoke and /oauth/introspect). */
export async function clientAssertion(name: string, o: { clientId: string; aud: string } & ClientKeyFiles): Promise<string> {
  const { jwk, key } = await signingKey(name, o);
  const iat = now();
  return new SignJWT({})
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid })
    .setIssuer(o.clientId)
    .setSubject(o.clientId)
    .setAudience(o.aud)
    .setJti(jti())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
    .sign(key);
}

/** RFC 9449 §4.2: a proof of NAME's key for one request; with `accessToken`, bound to that token too (§7.1, `ath`). */
export async function dpopProof(
  name: string,
  o: { url: string; method: string; accessToken?: string | undefined } & ClientKeyFiles,
): Promise<string> {
  if (!URL.canParse(o.url)) throw new UsageError(`--url must be an absolute URL, not ${o.url}`);
  if (!/^[A-Z]+$/.test(o.method)) throw new UsageError("--method must be an HTTP method in capitals, such as POST or GET");
  const htu = new URL(o.url);
  htu.search = "";
  htu.hash = "";
  const { jwk, key } = await signingKey(name, o);
  const ath = o.accessToken === undefined ? {} : { ath: base64url.encode(createHash("sha256").update(o.accessToken, "ascii").digest()) };
  return new SignJWT({ htm: o.method, htu: htu.href, ...ath })
    .setProtectedHeader({ typ: "dpop+jwt", alg: jwk.alg, jwk: publicOf(jwk) })
    .setJti(jti())
    .setIssuedAt(now())
    .sign(key);
}

/**
 * One of the commands above, as `npm run keys` is given it: its flags read (a wrong one is a
 * UsageError), what it makes printed, JSON or the token on stdout and what was kept on stderr.
 */
export async function clientCommand(
  command: "client-key" | "client-assertion" | "dpop-proof",
  name: string | undefined,
  values: { [option: string]: string | boolean | undefined },
): Promise<number> {
  const option = (o: string) => (typeof values[o] === "string" ? (values[o] as string) : undefined);
  if (name === undefined) throw new UsageError(`${command} needs the client key's name, e.g. ${command} billing`);
  const files = { privateKey: option("private-key") };
  switch (command) {
    case "client-key": {
      const alg = option("alg");
      if (alg !== undefined && !isClientKeyAlgorithm(alg)) throw new UsageError("--alg must be EdDSA, ES256 or PS256 for a client key");
      const made = await makeClientKey(name, { alg, ...files, jwks: option("jwks") });
      console.error(
        `keys: ${made.made ? "made" : "kept"} the client key ${name}: its private half in ${shortPath(made.privateKey)} (0600, never printed), ` +
          `its public key set in ${made.jwksFile} (for create --auth-method private_key_jwt --jwks ${made.jwksFile})`,
      );
      process.stdout.write(`${JSON.stringify(made.jwks)}\n`);
      return 0;
    }
    case "client-assertion": {
      const [clientId, aud] = [option("client-id"), option("aud")];
      if (clientId === undefined || aud === undefined) throw new UsageError("client-assertion needs --client-id ID and --aud URL");
      process.stdout.write(`${await clientAssertion(name, { clientId, aud, ...files })}\n`);
      return 0;
    }
    case "dpop-proof": {
      const url = option("url");
      if (url === undefined) throw new UsageError("dpop-proof needs --url URL, the request's URL");
      const proof = await dpopProof(name, { url, method: option("method") ?? "POST", accessToken: option("access-token"), ...files });
      process.stdout.write(`${proof}\n`);
      return 0;
    }
  }
}

/** A path as the reader's shell would name it: relative when it is under the working directory. */
function shortPath(path: string): string {
  const r = relative(process.cwd(), path);
  return r.startsWith("..") || isAbsolute(r) ? path : r;
}
