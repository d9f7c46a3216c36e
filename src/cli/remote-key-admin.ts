import { unstable_readConfig } from "wrangler";
import type { ApplicationKey } from "../store/application-keys.ts";
import type {
  AuditLine,
  AuditRecord,
  NewKey,
  RotationRequest,
  RotationResult,
  SigningKeyEvent,
  SigningKeyView,
} from "../store/registry-protocol.ts";
import { pages } from "./pages.ts";

export interface RemoteCredentials {
  client_id: string;
  client_secret: string;
}

/**
 * A deployment's keys through its admin API, as a key that holds application_keys (and for
 * signing keys, signing_keys): the CLI cannot reach a deployed Durable Object any other way, and
 * so it is bound by the same rules as any key manager (it gives no more than that key holds;
 * the audit trail names that key). The service's URL is the target environment's ISSUER.
 */
export async function remoteKeyAdmin(configPath: string, env: string | undefined, given?: RemoteCredentials) {
  const vars = (unstable_readConfig({ config: configPath, env }).vars ?? {}) as Record<string, string>;
  const issuer = vars.ISSUER?.trim();
  if (!issuer || !URL.canParse(issuer)) throw new Error(`--remote needs ISSUER, the deployment's URL, in ${configPath}`);
  const credentials = given ?? fromEnvironment();
  const { token, scope } = await adminToken(issuer, credentials);
  const holds = (needed: string) => {
    if (!scope.split(" ").includes(needed)) throw new Error(`key ${credentials.client_id} does not hold ${needed}`);
  };
  const call = async (path: string, init: RequestInit = {}) => {
    holds(path.startsWith("/v2/signing-keys") ? "signing_keys" : "application_keys");
    const res = await fetch(`${issuer}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, ...(init.body ? { "Content-Type": "application/json" } : {}) },
    });
    return res;
  };
  const audit = (action: AuditLine["action"], keyId: string, before: string | null, after: string | null): AuditLine => ({
    actor: credentials.client_id,
    action,
    key_id: keyId,
    old_scope: before,
    new_scope: after,
  });
  return {
    async create(attributes: NewKey) {
      const res = await call("/v2/application-keys", {
        method: "POST",
        body: JSON.stringify({ data: { type: "application_key", ...attributes } }),
      });
      const body = (await expectStatus(res, 201)) as { data: ApplicationKey & { client_secret: string } };
      const { client_secret, ...record } = body.data;
      return { record, client_secret, audit: audit("create", record.id, null, record.scope ?? null) };
    },
    async list() {
      return pages(async (limit, offset) => {
        const body = (await expectStatus(await call(`/v2/application-keys?page[limit]=${limit}&page[offset]=${offset}`), 200)) as {
          data: ApplicationKey[];
          meta: { results: { total: number } };
        };
        return { items: body.data, total: body.meta.results.total };
      });
    },
    async remove(id: string) {
      const found = await call(`/v2/application-keys/${encodeURIComponent(id)}`);
      if (found.status === 404) return false;
      const { data } = (await expectStatus(found, 200)) as { data: ApplicationKey };
      const res = await call(`/v2/application-keys/${encodeURIComponent(id)}`, { method: "DELETE" });
      if (res.status === 404) return false;
      await expectStatus(res, 204);
      return { audit: audit("delete", id, data.scope ?? null, null) };
    },
    async rotateSecret(id: string, keepOldSeconds: number) {
      const res = await call(`/v2/application-keys/${encodeURIComponent(id)}/secret`, {
        method: "POST",
        body: JSON.stringify({ data: { type: "secret_rotation", attributes: { keep_old_seconds: keepOldSeconds } } }),
      });
      if (res.status === 404) return false;
      const { data } = (await expectStatus(res, 200)) as {
        data: { id: string; client_id: string; name: string; scope: string; client_secret: string; previous_secret_expires_at?: string };
      };
      const { id: keyId, client_id, name, client_secret, previous_secret_expires_at } = data;
      const kept = { previous_secret_expires_at: previous_secret_expires_at ?? new Date().toISOString() };
      return {
        id: keyId,
        client_id,
        name,
        client_secret,
        ...(previous_secret_expires_at === undefined ? {} : { previous_secret_expires_at }),
        audit: { ...audit("rotate_secret", keyId, data.scope, data.scope), ...kept },
      };
    },
    async audit(keyId: string | undefined) {
      return pages(async (limit, offset) => {
        const filter = keyId === undefined ? "" : `&filter[key_id]=${encodeURIComponent(keyId)}`;
        const body = (await expectStatus(
          await call(`/v2/application-keys/audit?page[limit]=${limit}&page[offset]=${offset}${filter}`),
          200,
        )) as {
          data: (Omit<AuditRecord, "seq"> & { id: string; type: string })[];
          meta: { results: { total: number } };
        };
        return {
          items: body.data.map(({ id, type: _, ...e }) => ({ seq: Number(id), ...e }) as AuditRecord),
          total: body.meta.results.total,
        };
      });
    },
    async signingKeys() {
      const body = (await expectStatus(await call("/v2/signing-keys?page[limit]=100"), 200)) as {
        data: (SigningKeyView & { id: string; type: string })[];
        meta: { rotation: { kek_matches?: boolean } };
      };
      return { keys: body.data.map(({ id: _, type: __, ...k }) => k), kek_matches: body.meta.rotation.kek_matches };
    },
    async rotateSigningKeys(request: RotationRequest) {
      const res = await call("/v2/signing-keys/rotate", {
        method: "POST",
        body: JSON.stringify({ data: { type: "signing_key_rotation", ...request } }),
      });
      const body = (await expectStatus(res, 200)) as {
        data: { changes: RotationResult["changes"]; keys: (SigningKeyView & { id: string; type: string })[] };
      };
      return { changes: body.data.changes, keys: body.data.keys.map(({ id: _, type: __, ...k }) => k) };
    },
    async signingKeyEvents() {
      return pages(async (limit, offset) => {
        const body = (await expectStatus(await call(`/v2/signing-keys/audit?page[limit]=${limit}&page[offset]=${offset}`), 200)) as {
          data: (Omit<SigningKeyEvent, "seq"> & { id: string; type: string })[];
          meta: { results: { total: number } };
        };
        return {
          items: body.data.map(({ id, type: _, ...e }) => ({ seq: Number(id), ...e }) as SigningKeyEvent),
          total: body.meta.results.total,
        };
      });
    },
    close: async () => {},
  };
}

function fromEnvironment(): RemoteCredentials {
  const client_id = process.env.EDGE_TOKEN_CLIENT_ID;
  const client_secret = process.env.EDGE_TOKEN_CLIENT_SECRET;
  if (!client_id || !client_secret) {
    throw new Error(
      "--remote acts as a key that holds application_keys (signing_keys for signing keys): set EDGE_TOKEN_CLIENT_ID and EDGE_TOKEN_CLIENT_SECRET (npm run deploy's first key is one)",
    );
  }
  return { client_id, client_secret };
}

/** A token for the admin API: the key's default token, which carries every right the key holds. */
async function adminToken(issuer: string, c: RemoteCredentials): Promise<{ token: string; scope: string }> {
  const res = await fetch(`${issuer}/oauth/access_token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", ...c }).toString(),
  });
  const body = (await expectStatus(res, 200)) as { access_token: string; scope: string };
  return { token: body.access_token, scope: body.scope };
}

async function expectStatus(res: Response, status: number): Promise<unknown> {
  const text = await res.text();
  if (res.status === status) return text ? JSON.parse(text) : undefined;
  const detail = (() => {
    try {
      return (JSON.parse(text) as { errors: { detail: string }[] }).errors[0]!.detail;
    } catch {
      return text.slice(0, 200);
    }
  })();
  throw new Error(`${res.url.replace(/\?.*$/, "")} answered ${res.status}: ${detail}`);
}
