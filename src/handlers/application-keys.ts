import { requireManager } from "../auth/bearer.ts";
import type { Env } from "../env.ts";
import { badRequest, HttpError } from "../http/errors.ts";
import { readJson } from "../http/json.ts";
import { json, NO_STORE } from "../http/response.ts";
import { createAppKey, deleteAppKey, getAppKey, listAppKeys, renameAppKey } from "../store/application-keys.ts";
import { clientsKv, revocationsKv } from "../store/bindings.ts";
import type { ClientRecord } from "../store/client-record.ts";

/** /v2/application-keys, in Elastic Path's JSON:API shape. The secret appears only in the 201. */

type Routed = Request & { params: Record<string, string> };

export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 25;

export async function createKey(request: Request, env: Env): Promise<Response> {
  await requireManager(request, env);
  const name = nameFrom(await readJson(request));
  const { record, clientSecret } = await createAppKey(clientsKv(env), name);
  return json({ data: resource(record, clientSecret) }, 201, NO_STORE);
}

export async function listKeys(request: Request, env: Env): Promise<Response> {
  await requireManager(request, env);
  const query = new URL(request.url).searchParams;
  const limit = pageParam(query, "page[limit]", DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT);
  const offset = pageParam(query, "page[offset]", 0, 0, Number.MAX_SAFE_INTEGER);
  const { records, total } = await listAppKeys(clientsKv(env), limit, offset);
  return json(
    {
      data: records.map((r) => resource(r)),
      meta: {
        page: { limit, offset, current: Math.floor(offset / limit) + 1, total: Math.max(1, Math.ceil(total / limit)) },
        results: { total },
      },
    },
    200,
    NO_STORE,
  );
}

export async function getKey(request: Request, env: Env): Promise<Response> {
  await requireManager(request, env);
  const record = await getAppKey(clientsKv(env), (request as Routed).params.id!);
  if (!record) throw notFound();
  return json({ data: resource(record) }, 200, NO_STORE);
}

export async function updateKey(request: Request, env: Env): Promise<Response> {
  await requireManager(request, env);
  const name = nameFrom(await readJson(request));
  const record = await renameAppKey(clientsKv(env), (request as Routed).params.id!, name);
  if (!record) throw notFound();
  return json({ data: resource(record) }, 200, NO_STORE);
}

/** After a 204 the key cannot get tokens, and every token it had fails verification everywhere. */
export async function deleteKey(request: Request, env: Env): Promise<Response> {
  await requireManager(request, env);
  if (!(await deleteAppKey(clientsKv(env), revocationsKv(env), (request as Routed).params.id!))) throw notFound();
  return new Response(null, { status: 204, headers: NO_STORE });
}

/** Never the secret hash: the secret only when it was just created. */
function resource(r: ClientRecord, clientSecret?: string) {
  return {
    id: r.id,
    type: "application_key",
    name: r.name,
    client_id: r.client_id,
    ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
    meta: { timestamps: { created_at: r.created_at, updated_at: r.updated_at } },
  };
}

function nameFrom(body: unknown): string {
  const data = isObject(body) ? body.data : undefined;
  if (!isObject(data)) throw badRequest('The body must be {"data":{"type":"application_key","name":…}}.');
  if (data.type !== "application_key") throw badRequest('The field "data.type" must be "application_key".');
  const name = data.name;
  if (typeof name !== "string" || name.trim() === "" || [...name].length > 255) {
    throw badRequest('The field "data.name" must be a string of 1 to 255 characters.');
  }
  return name;
}

function pageParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const values = query.getAll(name);
  if (values.length === 0) return fallback;
  const n = values.length === 1 && /^\d{1,16}$/.test(values[0]!) ? Number(values[0]) : NaN;
  if (!(n >= min && n <= max)) {
    throw badRequest(`The parameter "${name}" must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`}.`);
  }
  return n;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const notFound = () => new HttpError(404, "not_found", "There is no application key with this id.");
