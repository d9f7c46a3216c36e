import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";

describe("src/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document (the official schema, by a maintained validator)", async () => {
    const doc = JSON.parse(await readFile("src/openapi.json", "utf8")) as Record<string, unknown>;
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect([result.valid, result.errors]).toStrictEqual([true, undefined]);
    expect(validator.version).toBe("3.1");
    // every $ref resolves
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/[^"]+"/g) ?? [];
    for (const ref of refs) {
      const path = ref.slice('"$ref":"#/'.length, -1).split("/");
      let node: unknown = doc;
      for (const part of path) node = (node as Record<string, unknown> | undefined)?.[part];
      expect([ref, node === undefined]).toStrictEqual([ref, false]);
    }
  });
});
