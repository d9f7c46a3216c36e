import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The dependency rule of docs/architecture.md, checked over every import statement in src/:
 * a folder imports only folders below it in this list, never one beside or above it, so no two
 * folders import each other. The entrypoints (files directly in src/) sit on top; the CLI,
 * Node code on the same modules, above them; nothing imports the CLI.
 */
const LAYERS = [
  ["cli"],
  ["(entry)"],
  ["handlers", "objects"],
  ["auth"],
  ["policy"],
  ["tokens"],
  ["store"],
  ["config"],
  ["oauth"],
  ["http"],
  ["console", "lib"],
];
const layerOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
}

/** "auth" for src/auth/client.ts, "(entry)" for src/router.ts. */
const folderOf = (file: string) => {
  const parts = relative("src", file).split("/");
  return parts.length === 1 ? "(entry)" : parts[0]!;
};

/** Every relative module a file imports or re-exports, type-only imports included. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+["'](\.{1,2}\/[^"']+)["']|\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g),
  ];
  return specifiers.map((m) => resolve(dirname(file), m[1] ?? m[2]!)).map((p) => relative(process.cwd(), p));
}

const files = sources("src");
const edges = files.flatMap((file) => importsOf(file).map((target) => ({ file, target })));

describe("the folders of src/", () => {
  it("are all placed in the dependency rule", () => {
    const unplaced = [...new Set(files.map(folderOf))].filter((f) => !layerOf.has(f));
    expect(unplaced).toStrictEqual([]);
  });

  it("import only downwards: no upward arrow, no two folders importing each other", () => {
    const wrong = edges
      .filter(({ target }) => target.startsWith("src/") && target.endsWith(".ts"))
      .filter(({ file, target }) => {
        const [from, to] = [folderOf(file), folderOf(target)];
        if (from === to) return false;
        return layerOf.get(to)! <= layerOf.get(from)!;
      })
      .map(({ file, target }) => `${file} → ${target}`);
    expect(wrong).toStrictEqual([]);
  });

  it("hold no import cycle between files", () => {
    const graph = new Map<string, string[]>();
    for (const { file, target } of edges) graph.set(file, [...(graph.get(file) ?? []), target]);
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(cycles).toStrictEqual([]);
  });
});
