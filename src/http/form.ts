import { badRequest } from "../lib/errors.ts";
import { mediaType, readText } from "./body.ts";

const FORM_TYPE = "application/x-www-form-urlencoded";

/**
 * Form parameters; a Map so that names like `__proto__` are plain data. `get` gives a
 * parameter's only value; `all` gives every non-empty value of one that may repeat.
 */
export interface Form extends ReadonlyMap<string, string> {
  all(name: string): readonly string[];
}

/** The only parameters that may be given more than once (RFC 8707 §2: one per resource). */
const REPEATABLE = new Set(["resource"]);

class Params extends Map<string, string> implements Form {
  /** The second and later values of a repeatable parameter; made only when one repeats. */
  #more: Map<string, string[]> | undefined;
  add(name: string, value: string): void {
    if (!this.has(name)) this.set(name, value);
    else if (REPEATABLE.has(name)) {
      this.#more ??= new Map();
      this.#more.set(name, [...(this.#more.get(name) ?? []), value]);
    } else throw badRequest(`The ${describe(name)} was given more than once.`);
  }
  all(name: string): readonly string[] {
    const first = this.get(name);
    if (first === undefined) return NONE;
    const more = this.#more?.get(name);
    if (more === undefined) return first === "" ? NONE : [first];
    return [first, ...more].filter((v) => v !== "");
  }
}

const NONE: readonly string[] = Object.freeze([]);
const asIs = (s: string) => s;

export async function readForm(request: Request): Promise<Form> {
  if (mediaType(request) !== FORM_TYPE) {
    throw badRequest(`The request body must be ${FORM_TYPE}.`);
  }
  return parseForm(await readText(request));
}

/**
 * application/x-www-form-urlencoded, strictly: malformed percent-encoding and any parameter
 * given twice are errors (RFC 6749 §3.2: parameters must not be included more than once),
 * except `resource` (RFC 8707). Empty values are kept here; `param()` and `all()` treat them
 * as omitted (RFC 6749 §3.1).
 */
export function parseForm(body: string): Form {
  const form = new Params();
  if (body === "") return form;
  // A body without "%" or "+" (a typical token request's) has nothing in it to decode.
  const decode = body.includes("%") || body.includes("+") ? formDecode : asIs;
  for (const pair of body.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    form.add(decode(eq < 0 ? pair : pair.slice(0, eq)), eq < 0 ? "" : decode(pair.slice(eq + 1)));
  }
  return form;
}

/** A parameter's value, or undefined when it is absent or empty. */
export function param(form: Form, name: string): string | undefined {
  const v = form.get(name);
  return v === undefined || v === "" ? undefined : v;
}

export function formDecode(s: string): string {
  const spaced = s.includes("+") ? s.replaceAll("+", " ") : s;
  // Without a percent sign there is nothing to decode (and nothing malformed).
  if (!spaced.includes("%")) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw badRequest("The request contains malformed percent-encoding.");
  }
}

// Name the parameter only when it is a plausible parameter name: a detail never echoes
// arbitrary caller input.
function describe(name: string): string {
  return /^[A-Za-z_]{1,40}$/.test(name) ? `parameter "${name}"` : "same parameter";
}
