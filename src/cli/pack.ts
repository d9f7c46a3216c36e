/**
 * `npm pack`'s prepack: the installable package, edge-token/verify and edge-token/rpc, built
 * into dist/ from the same sources the service runs. The JavaScript is one ES module per entry,
 * bundled with its imports but jose (its only dependency), so no service code a consumer does
 * not call ships; the types are the declarations of what those entries export, with their
 * imports rewritten to .js so a consumer's tsc resolves them under any module resolution.
 *
 *   node src/cli/pack.ts [--out dist]
 */
import { readFileSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { buildSync } from "esbuild";
import ts from "typescript";

import { ROOT } from "./wrangler.ts";

/** Each entry: its source, and the ambient types its declarations may lean on. */
const ENTRIES = [
  // The verifier runs on Node, Deno and Workers alike: checked against the web platform alone.
  { name: "verify", source: "src/verify.ts", types: [] as string[] },
  // The Service Binding's type: only a Worker project uses it, and its own Workers types name Rpc.
  { name: "rpc", source: "src/rpc-contract.ts", types: ["@cloudflare/workers-types"] },
];

const COMPILER: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
  strict: true,
  noUncheckedIndexedAccess: true,
  verbatimModuleSyntax: true,
  allowImportingTsExtensions: true,
  declaration: true,
  emitDeclarationOnly: true,
  skipLibCheck: true,
};

export function buildPackage(out: string): string[] {
  rmSync(out, { recursive: true, force: true });
  const built = buildSync({
    entryPoints: Object.fromEntries(ENTRIES.map((e) => [e.name, join(ROOT, e.source)])),
    outdir: out,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["jose"],
    legalComments: "none",
    write: true,
    metafile: true,
  });
  const files = Object.keys(built.metafile.outputs).map((f) => resolve(ROOT, f));
  for (const entry of ENTRIES) files.push(...declarations(entry, out));
  // Both entries reach some declarations: each is written (and counted) once.
  return [...new Set(files.map((f) => relative(out, f)))].sort();
}

/**
 * The declarations an entry's own declaration file reaches, written under out/types/. tsc emits
 * one for every file of the program; those no consumer's type check can reach are left out.
 */
function declarations(entry: (typeof ENTRIES)[number], out: string): string[] {
  const emitted = new Map<string, string>();
  const program = ts.createProgram([join(ROOT, entry.source)], { ...COMPILER, types: entry.types, rootDir: join(ROOT, "src") });
  const diagnostics = [
    ...ts.getPreEmitDiagnostics(program),
    ...program.emit(undefined, (file, text) => emitted.set(file, text)).diagnostics,
  ];
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" };
    throw new Error(`pack: ${entry.source} does not type-check on its own\n${ts.formatDiagnostics(diagnostics, host)}`);
  }
  const declarationOf = (source: string) => join(ROOT, "src", relative(join(ROOT, "src"), source).replace(/\.ts$/, ".d.ts"));
  const reached = new Set<string>();
  const visit = (file: string) => {
    if (reached.has(file)) return;
    const text = emitted.get(file);
    if (text === undefined) throw new Error(`pack: tsc emitted no declarations for ${relative(ROOT, file)}`);
    reached.add(file);
    for (const m of text.matchAll(/\bfrom\s+"(\.{1,2}\/[^"]+)\.ts"/g)) visit(resolve(dirname(file), `${m[1]}.d.ts`));
  };
  visit(declarationOf(join(ROOT, entry.source)));
  const written: string[] = [];
  for (const file of reached) {
    const at = join(out, "types", relative(join(ROOT, "src"), file));
    const target = file === declarationOf(join(ROOT, entry.source)) ? join(out, `${entry.name}.d.ts`) : at;
    const fromTarget = (specifier: string) => {
      const imported = resolve(join(out, "types", relative(join(ROOT, "src"), dirname(file))), specifier);
      const path = relative(dirname(target), imported);
      return path.startsWith(".") ? path : `./${path}`;
    };
    const text = emitted
      .get(file)!
      .replace(/(\bfrom\s+")(\.{1,2}\/[^"]+)\.ts"/g, (_, from, specifier) => `${from}${fromTarget(specifier)}.js"`);
    ts.sys.writeFile(target, text);
    written.push(target);
  }
  return written;
}

// Run as a script (npm pack's prepack); imported, it only exports `buildPackage`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { out: { type: "string", default: "dist" } } });
  const out = resolve(ROOT, values.out!);
  const files = buildPackage(out);
  const bytes = files.reduce((sum, f) => sum + readFileSync(join(out, f)).length, 0);
  console.error(`pack: ${files.length} files, ${bytes} bytes in ${relative(process.cwd(), out) || "."}`);
}
