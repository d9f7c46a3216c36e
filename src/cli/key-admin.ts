import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { type ApplicationKey, previousSecretLives } from "../store/application-keys.ts";
import {
  type Answer,
  type AuditLine,
  type AuditRecord,
  type Caller,
  type NewKey,
  REGISTRY_NAME,
  type RotationRequest,
  type RotationResult,
  type SigningKeyEvent,
  type SigningKeyView,
} from "../store/registry-protocol.ts";
import { bundleWorker } from "./bundle.ts";
import { pages } from "./pages.ts";
import { type RemoteCredentials, remoteKeyAdmin } from "./remote-key-admin.ts";
import { isRunning, isServing, liveSession, type StartSession } from "./start-session.ts";
import { ROOT } from "./wrangler.ts";

/**
 * What the CLI does to application keys and signing keys, wherever the registry is: the local one `npm start`
 * serves, or a deployment's. There is no second writer: locally the CLI asks the registry
 * Durable Object itself, either inside the running `npm start` (through wrangler's dev
 * registry of that state's own) or, when none serves it, in a workerd of its own over the same
 * state; remotely it
 * uses the admin API with a key-management key's credentials.
 */
export interface KeyAdmin {
  create(attributes: NewKey): Promise<{ record: ApplicationKey; client_secret: string; audit: AuditLine }>;
  list(): Promise<ApplicationKey[]>;
  /** false when there is no such key. */
  remove(id: string): Promise<{ audit: AuditLine } | false>;
  /** A new secret for the key, the old one authenticating `keepOldSeconds` more (0: none, the key's tokens revoked); false when there is no such key. */
  rotateSecret(id: string, keepOldSeconds: number): Promise<RotatedSecret | false>;
  audit(keyId: string | undefined): Promise<AuditRecord[]>;
  /** The signing keys, newest first, and whether the KEK opens them (undefined: no keys yet); `make`: the first ones made now if there are none. */
  signingKeys(o?: { make?: boolean }): Promise<SigningKeyState>;
  rotateSigningKeys(request: RotationRequest): Promise<RotationResult>;
  signingKeyEvents(): Promise<SigningKeyEvent[]>;
  close(): Promise<void>;
}

/** What a secret rotation answers the CLI: the key, its new secret (shown once), until when the old one lives. Never a digest. */
export interface RotatedSecret {
  id: string;
  client_id: string;
  name: string;
  client_secret: string;
  previous_secret_expires_at?: string;
  audit: AuditLine;
}

export interface SigningKeyState {
  keys: SigningKeyView[];
  kek_matches?: boolean | undefined;
}

export interface Target {
  remote: boolean;
  env: string | undefined;
  /** Local state directory; default .wrangler/state, the one `npm start` serves. */
  persistTo: string | undefined;
  /** The wrangler config; default the project's wrangler.toml. */
  config?: string | undefined;
  /** --remote: the key-management key to act as (default: EDGE_TOKEN_CLIENT_ID / EDGE_TOKEN_CLIENT_SECRET). */
  credentials?: RemoteCredentials | undefined;
  /** Says on stderr which registry the CLI works on. */
  verbose?: boolean | undefined;
}

/** The operator at the command line: the root of authority, not a key. */
const CLI: Caller = { kind: "operator", actor: "cli" };

/**
 * Local registries kept open between commands, by state, config and whether npm start serves
 * them: only when a caller running many commands in one process asked for it (the CLI's own
 * tests), since a kept workerd would hold the state npm start serves.
 */
let kept: Map<string, Promise<RegistryStub>> | undefined;

/** Keeps each local registry open for the next command, until `closeKeptKeyAdmins`. */
export function keepKeyAdminsOpen(): void {
  kept ??= new Map();
}

const disposers: (() => Promise<void>)[] = [];
export async function closeKeptKeyAdmins(): Promise<void> {
  kept = undefined;
  await Promise.all(disposers.splice(0).map((d) => d()));
}

export async function openKeyAdmin(t: Target): Promise<KeyAdmin> {
  const configPath = t.config ?? join(ROOT, "wrangler.toml");
  if (t.remote) return remoteKeyAdmin(configPath, t.env, t.credentials);
  const state = t.persistTo ?? join(ROOT, ".wrangler/state");
  const config = unstable_readConfig({ config: configPath });
  const name = config.name!;
  const attached = await servingSession(state, name);
  // A mistyped --persist-to would otherwise act, quietly, on a new empty state of its own.
  if (t.persistTo !== undefined && !attached && !existsSync(state)) {
    console.error(
      `keys: there was no local state at ${state}: this command makes a new one there (npm start -- --persist-to ${state} serves it); check the path if you meant an existing one.`,
    );
  }
  if (t.verbose)
    console.error(
      `keys: ${attached ? `through the registry of the running npm start (pid ${attached.pid})` : `in a workerd of its own, over ${state}`}`,
    );
  if (!kept) {
    const { registry, dispose } = await openRegistry(configPath, config, state, attached);
    return localKeyAdmin(registry, dispose);
  }
  const key = JSON.stringify([configPath, state, attached?.registry]);
  let registry = kept.get(key);
  if (!registry) {
    const opened = openRegistry(configPath, config, state, attached);
    registry = opened.then((o) => o.registry);
    kept.set(key, registry);
    disposers.push(() => opened.then((o) => o.dispose()));
  }
  return localKeyAdmin(await registry, async () => {});
}

async function openRegistry(
  configPath: string,
  config: ReturnType<typeof unstable_readConfig>,
  state: string,
  attached: StartSession | undefined,
): Promise<{ registry: RegistryStub; dispose: () => Promise<void> }> {
  const name = config.name!;
  // stdout carries the CLI's JSON: keep Miniflare's own chatter off it.
  process.env.WRANGLER_LOG ??= "error";
  let mf: Miniflare;
  if (attached) {
    // npm start is running on this state: its registry is the one writer, so ask it, through
    // that session's own dev registry (Miniflare lets CLOUDFLARE_DEV_REGISTRY_PATH override it).
    const options = convertV4MiniflareOptions({
      name: "edge-token-cli",
      modules: true,
      script: "export default { fetch: () => new Response(null, { status: 404 }) }",
      compatibilityDate: config.compatibility_date,
      durableObjects: { REGISTRY: { className: "Registry", scriptName: name } },
      unsafeDevRegistryPath: attached.registry,
    } as never);
    mf = withEnv({ CLOUDFLARE_DEV_REGISTRY_PATH: attached.registry }, () => new Miniflare(options));
  } else {
    // Nothing serves this state: run the Worker here, exactly as wrangler dev would, over it.
    const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
    const bindings = { ...(workerOptions.bindings as Record<string, unknown>) };
    if (!bindings.ISSUER) bindings.ALLOW_REQUEST_ORIGIN_ISSUER = "true"; // local development, as npm start runs it
    mf = new Miniflare(
      convertV4MiniflareOptions({
        ...workerOptions,
        bindings,
        name,
        modules: true,
        scriptPath: await bundleWorker(resolve(dirname(configPath), config.main ?? "src/index.ts")),
        modulesRules: undefined,
        resourcePersistencePath: join(state, "v3"),
      } as never),
    );
  }
  const namespace = await mf.getDurableObjectNamespace("REGISTRY", attached ? "edge-token-cli" : name);
  const registry = namespace.get(namespace.idFromName(REGISTRY_NAME)) as unknown as RegistryStub;
  return { registry, dispose: () => mf.dispose() };
}

/** How long the CLI waits for an npm start that holds the state to serve it (its wrangler dev starting). */
const SERVING_WAIT_MS = 30_000;

/**
 * The npm start that serves this state: its session file in the state names a running process,
 * and that session's own dev registry lists the Worker. Without a live session file nothing
 * serves it, whatever runs elsewhere on the machine. A live session not yet serving is waited
 * for rather than opened beside: two workerds over one state would both write it.
 */
async function servingSession(state: string, name: string): Promise<StartSession | undefined> {
  const session = liveSession(state);
  // npm start itself, making its demo client before its wrangler dev runs, is the only writer.
  if (!session || session.pid === process.pid) return undefined;
  for (const deadline = Date.now() + SERVING_WAIT_MS; Date.now() < deadline; await sleep(250)) {
    if (isServing(session, name)) return session;
    if (!isRunning(session.pid)) return undefined;
  }
  throw new Error(
    `npm start (pid ${session.pid}) holds ${state} but has not served it for ${SERVING_WAIT_MS / 1000} s; try again once it does, or stop it`,
  );
}

/** Runs `fn` with these environment variables set, and puts them back after. */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.entries(vars).map(([k]) => [k, process.env[k]] as const);
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

type RegistryStub = {
  create(caller: Caller, a: NewKey): Promise<Answer<{ record: ApplicationKey; client_secret: string; audit: AuditLine }>>;
  list(limit: number, offset: number): Promise<{ records: ApplicationKey[]; total: number }>;
  remove(caller: Caller, id: string): Promise<Answer<{ audit: AuditLine }>>;
  rotateSecret(
    caller: Caller,
    id: string,
    keepOldSeconds: number,
  ): Promise<Answer<{ record: ApplicationKey; client_secret: string; audit: AuditLine }>>;
  auditTrail(keyId: string | undefined, limit: number, offset: number): Promise<{ entries: AuditRecord[]; total: number }>;
  signingKeyState(o?: { make?: boolean }): Promise<SigningKeyState>;
  rotateSigningKeys(caller: Caller, r: RotationRequest): Promise<Answer<RotationResult>>;
  signingKeyEvents(limit: number, offset: number): Promise<{ entries: SigningKeyEvent[]; total: number }>;
};

function localKeyAdmin(registry: RegistryStub, close: () => Promise<void>): KeyAdmin {
  const ok = <T>(answer: Answer<T>): T => {
    if (answer.ok) return answer.value;
    throw new Error(answer.refusal.reason ?? answer.refusal.detail);
  };
  return {
    async create(attributes) {
      const { record, client_secret, audit } = ok(await registry.create(CLI, attributes));
      return { record, client_secret, audit };
    },
    async list() {
      return pages((limit, offset) => registry.list(limit, offset).then((p) => ({ items: p.records, total: p.total })));
    },
    async remove(id) {
      const answer = await registry.remove(CLI, id);
      if (!answer.ok && answer.refusal.status === 404) return false;
      return { audit: ok(answer).audit };
    },
    async rotateSecret(id, keepOldSeconds) {
      const answer = await registry.rotateSecret(CLI, id, keepOldSeconds);
      if (!answer.ok && answer.refusal.status === 404) return false;
      const { record, client_secret, audit } = ok(answer);
      const kept = previousSecretLives(record) ? { previous_secret_expires_at: record.previous_secret_expires_at! } : {};
      return { id: record.id, client_id: record.client_id, name: record.name, client_secret, ...kept, audit };
    },
    async audit(keyId) {
      return pages((limit, offset) => registry.auditTrail(keyId, limit, offset).then((p) => ({ items: p.entries, total: p.total })));
    },
    signingKeys: (o) => registry.signingKeyState(o),
    async rotateSigningKeys(request) {
      return ok(await registry.rotateSigningKeys(CLI, request));
    },
    async signingKeyEvents() {
      return pages((limit, offset) => registry.signingKeyEvents(limit, offset).then((p) => ({ items: p.entries, total: p.total })));
    },
    close,
  };
}
