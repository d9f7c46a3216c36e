import { badRequest } from "../lib/errors.ts";
import { mediaType, readText } from "./body.ts";

const JSON_TYPES = new Set(["application/json", "application/vnd.api+json"]);

/** A JSON request body, size-limited like every body; another type or bad JSON is a 400. */
export async function readJson(request: Request): Promise<unknown> {
  if (!JSON_TYPES.has(mediaType(request))) throw badRequest("The request body must be application/json.");
  const text = await readText(request);
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("The request body is not valid JSON.");
  }
}
