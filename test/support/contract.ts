import { type Schema, Validator } from "@cfworker/json-schema";
import document from "../../src/openapi.json";

/**
 * The OpenAPI document as a contract: every response the HTTP tests receive is recorded here
 * (helpers.ts does it) and, after each test file, checked against the operation it came from:
 * a documented status, a documented content type, a body its schema accepts. A response the
 * document does not describe fails the suite.
 */
interface Recorded {
  method: string;
  pathname: string;
  status: number;
  contentType: string;
  body: string;
}

const recorded: Recorded[] = [];

/** Keeps what the check needs; the caller's response is left unread. */
export function record(request: Request, response: Response): void {
  const copy = response.clone();
  pending.push(
    // As bytes: text() of a JWT body (application/jwt) makes workerd warn on every response.
    copy.arrayBuffer().then(
      (bytes) =>
        void recorded.push({
          method: request.method,
          pathname: new URL(request.url).pathname,
          status: response.status,
          contentType: (response.headers.get("Content-Type") ?? "").split(";")[0]!.trim(),
          body: new TextDecoder().decode(bytes),
        }),
    ),
  );
}
const pending: Promise<void>[] = [];

type Json = Record<string, unknown>;
const doc = document as unknown as Json;
const BASE = "urn:edge-token:openapi";
const validators = new Map<string, Validator>();

function validatorFor(ref: string): Validator {
  let v = validators.get(ref);
  if (!v) {
    v = new Validator({ $ref: `${BASE}${ref}` } as Schema, "2020-12", false);
    v.addSchema(doc as Schema, BASE);
    validators.set(ref, v);
  }
  return v;
}

function resolve(node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== "string") return node;
  let at: unknown = doc;
  for (const part of ref.slice(2).split("/")) at = (at as Json)[part];
  return resolve(at as Json);
}

const paths = doc.paths as Record<string, Json>;
const templates = Object.keys(paths).map((p) => ({
  path: p,
  re: new RegExp(`^${p.replace(/\{[^}]+\}/g, "[^/]+").replaceAll(".", "\\.")}/*$`),
}));

/** What is wrong with one response, or undefined when the document describes it. */
export function violation(r: Recorded): string | undefined {
  // The router tolerates trailing slashes: "//" is the root.
  const root = /^\/+$/.test(r.pathname);
  const template = templates.find((t) => t.re.test(r.pathname) && (root ? t.path === "/" : t.path !== "/"));
  const item = template ? paths[template.path]! : undefined;
  // HEAD is GET without the content (RFC 9110 §9.3.2): the GET's operation, and no body.
  const head = r.method === "HEAD";
  if (head && r.body !== "") return "a body in an answer to HEAD";
  const operation = item?.[head ? "get" : r.method.toLowerCase()] as Json | undefined;
  let response: Json | undefined;
  if (!item) {
    if (r.status !== 404) return `no documented path, yet ${r.status}`;
    response = resolve({ $ref: "#/components/responses/NotFound" });
  } else if (!operation) {
    if (r.status !== 405) return `no documented ${r.method}, yet ${r.status}`;
    response = resolve({ $ref: "#/components/responses/MethodNotAllowed" });
  } else {
    const documented = (operation.responses as Record<string, Json>)[String(r.status)];
    if (!documented) return `status ${r.status} is not documented`;
    response = resolve(documented);
  }
  const content = response.content as Record<string, Json> | undefined;
  if (head) return undefined;
  if (!content) return r.body === "" ? undefined : `a body where the document has none`;
  const media = content[r.contentType];
  if (!media) return `content type "${r.contentType}" is not documented (${Object.keys(content).join(", ")})`;
  if (!r.contentType.endsWith("json")) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(r.body);
  } catch {
    return "a body that is not JSON";
  }
  const schema = media.schema as Json;
  const ref = typeof schema.$ref === "string" ? schema.$ref : undefined;
  const result = ref ? validatorFor(ref).validate(body) : new Validator(schema as Schema, "2020-12", false).validate(body);
  return result.valid
    ? undefined
    : `body does not match ${ref ?? "its schema"}: ${result.errors
        .map((e) => `${e.instanceLocation} ${e.error}`)
        .slice(-3)
        .join("; ")}`;
}

/** Every response recorded so far that the document does not describe, then forgets them. */
export async function violations(): Promise<string[]> {
  await Promise.all(pending.splice(0));
  const found = recorded.map((r) => [r, violation(r)] as const).filter(([, v]) => v !== undefined);
  recorded.length = 0;
  return [...new Set(found.map(([r, v]) => `${r.method} ${r.pathname} → ${r.status}: ${v}`))];
}
