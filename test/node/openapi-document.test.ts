import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
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

describe("src/openapi.json under redocly lint (its recommended rules, test/node/redocly.yaml)", () => {
  it("has no error and no warning beyond the exceptions the config gives reasons for", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["node_modules/@redocly/cli/bin/cli.js", "lint", "src/openapi.json", "--config", "test/node/redocly.yaml", "--format=json"],
      { env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } },
    ).catch((e: { stdout: string }) => e);
    const report = JSON.parse(stdout) as {
      totals: Record<string, number>;
      problems: { ruleId: string; location: { pointer: string }[] }[];
    };
    expect([
      report.totals.errors,
      report.totals.warnings,
      report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}`),
    ]).toStrictEqual([0, 0, []]);
    expect(report.totals.ignored).toBe(33);
  }, 60_000);
});
