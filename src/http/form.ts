import { badRequest } from "./errors.ts";
import { mediaType, readText } from "./body.ts";

export const FORM_TYPE = "application/x-www-form-urlencoded";

/** Form parameters; a Map so that names like `__proto__` are plain data. */
export type Form = ReadonlyMap<string, string>;

export async function readForm(request: Request): Promise<Form> {
  if (mediaType(request) !== FORM_TYPE) {
    throw badRequest(`The request body must be ${FORM_TYPE}.`);
  }
  return parseForm(await readText(request));
}

/**
 * application/x-www-form-urlencoded, strictly: malformed percent-encoding and any parameter
 * given twice are errors (RFC 6749 §3.2: parameters must not be included more than once).
 * Empty values are kept here; `param()` treats them as omitted (RFC 6749 §3.1).
 */
export function parseForm(body: string): Form {
  const form = new Map<string, string>();
  if (body === "") return form;
  for (const pair of body.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = formDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : formDecode(pair.slice(eq + 1));
    if (form.has(name)) throw badRequest(`The ${describe(name)} was given more than once.`);
    form.set(name, value);
  }
  return form;
}

/** A parameter's value, or undefined when it is absent or empty. */
export function param(form: Form, name: string): string | undefined {
  const v = form.get(name);
  return v === undefined || v === "" ? undefined : v;
}

export function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.includes("+") ? s.replaceAll("+", " ") : s);
  } catch {
    throw badRequest("The request contains malformed percent-encoding.");
  }
}

// Name the parameter only when it is a plausible parameter name: a detail never echoes
// arbitrary caller input.
function describe(name: string): string {
  return /^[A-Za-z_]{1,40}$/.test(name) ? `parameter "${name}"` : "same parameter";
}
