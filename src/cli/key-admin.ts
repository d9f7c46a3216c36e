import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { convertV4MiniflareOptions, getWorkerRegistry, Miniflare, resolveDevRegistryPath } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import type { ApplicationKey } from "../store/application-keys.ts";
import { type Answer, type AuditLine, type AuditRecord, type Caller, type NewKey, REGISTRY_NAME } from "../store/registry-protocol.ts";
import { bundleWorker } from "./bundle.ts";
import { pages } from "./pages.ts";
import { type RemoteCredentials, remoteKeyAdmin } from "./remote-key-admin.ts";
import { SESSION_FILE_NAME, wranglerRegistryPath } from "./start-session.ts";
import { ROOT } from "./wrangler.ts";

/**
 * What the CLI does to application keys, wherever the registry is: the local one `npm start`
 * serves, or a deployment's. There is no second writer: locally the CLI asks the registry
 * Durable Object itself, either inside the running `npm start` (through wrangler's dev
 * registry) or, when none is running, in a workerd of its own over the same state; remotely it
 * uses the admin API with a key-management key's credentials.
 */
export interface KeyAdmin {
  create(attributes: NewKey): Promise<{ record: ApplicationKey; client_secret: string; audit: AuditLine }>;
  list(): Promise<ApplicationKey[]>;
  /** false when there is no such key. */
  remove(id: string): Promise<{ audit: AuditLine } | false>;
  audit(keyId: string | undefined): Promise<AuditRecord[]>;
  close(): Promise<void>;
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
  const attached = servedByDevSession(state, name, t.persistTo !== undefined);
  if (t.verbose)
    console.error(`keys: ${attached ? "through the registry of the running npm start" : `in a workerd of its own, over ${state}`}`);
  if (!kept) {
    const { registry, dispose } = await openRegistry(configPath, config, state, attached);
    return localKeyAdmin(registry, dispose);
  }
  const key = JSON.stringify([configPath, state, attached]);
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
  attached: boolean,
): Promise<{ registry: RegistryStub; dispose: () => Promise<void> }> {
  const name = config.name!;
  // stdout carries the CLI's JSON: keep Miniflare's own chatter off it.
  process.env.WRANGLER_LOG ??= "error";
  let mf: Miniflare;
  if (attached) {
    // npm start is running on this state: its registry is the one writer, so ask it.
    mf = new Miniflare(
      convertV4MiniflareOptions({
        name: "edge-token-cli",
        modules: true,
        script: "export default { fetch: () => new Response(null, { status: 404 }) }",
        compatibilityDate: config.compatibility_date,
        durableObjects: { REGISTRY: { className: "Registry", scriptName: name } },
        unsafeDevRegistryPath: wranglerRegistryPath(),
      } as never),
    );
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

/**
 * Whether a running `npm start` serves this state: wrangler's dev registry lists the Worker,
 * and (for a state directory given with --persist-to) npm start's session file is in it.
 */
function servedByDevSession(state: string, name: string, explicitState: boolean): boolean {
  const running = Object.hasOwn(getWorkerRegistry(resolveDevRegistryPath(wranglerRegistryPath())), name);
  if (!running) return false;
  const session = join(state, SESSION_FILE_NAME);
  if (!existsSync(session)) return !explicitState;
  try {
    process.kill((JSON.parse(readFileSync(session, "utf8")) as { pid: number }).pid, 0);
    return true;
  } catch {
    return !explicitState;
  }
}

type RegistryStub = {
  create(caller: Caller, a: NewKey): Promise<Answer<{ record: ApplicationKey; client_secret: string; audit: AuditLine }>>;
  list(limit: number, offset: number): Promise<{ records: ApplicationKey[]; total: number }>;
  remove(caller: Caller, id: string): Promise<Answer<{ audit: AuditLine }>>;
  auditTrail(keyId: string | undefined, limit: number, offset: number): Promise<{ entries: AuditRecord[]; total: number }>;
};

function localKeyAdmin(registry: RegistryStub, close: () => Promise<void>): KeyAdmin {
  const ok = <T>(answer: Answer<T>): T => {
    if (answer.ok) return answer.value;
    throw new Error(answer.refusal.detail);
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
    async audit(keyId) {
      return pages((limit, offset) => registry.auditTrail(keyId, limit, offset).then((p) => ({ items: p.entries, total: p.total })));
    },
    close,
  };
}
