import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Every `src/`, `test/` or `docs/` path the README and docs/ name, and every relative link they
 * make, names something that exists: a moved or deleted file shows up here, not in a reader's 404.
 */
const pages = ["README.md", ...readdirSync("docs").map((f) => join("docs", f))].filter((f) => f.endsWith(".md"));

function named(page: string): string[] {
  const text = readFileSync(page, "utf8");
  const paths = [...text.matchAll(/(?<![\w./-])(?:src|test|docs)\/[\w./-]*/g)].map((m) => m[0].replace(/[.,:;)]+$/, ""));
  // Relative Markdown links: ](storage.md), ](../README.md), ](docs/api.md#anchor)
  const links = [...text.matchAll(/\]\((?![a-z]+:|#|\/)([^)#\s]+)/g)].map((m) => join(dirname(page), m[1]!));
  return [...new Set([...paths.filter((p) => !p.includes("*")), ...links])];
}

describe("the paths the README and docs/ name", () => {
  it("all exist", () => {
    const missing = pages.flatMap((page) =>
      named(page)
        .filter((p) => !existsSync(p))
        .map((p) => `${page}: ${p}`),
    );
    expect(missing).toStrictEqual([]);
  });

  it("are found: the check reads paths and links", () => {
    expect(named("README.md")).toEqual(expect.arrayContaining(["src/openapi.json", "docs/architecture.md"]));
  });
});
