import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

/**
 * What test/browser/console.ts checks on every view of the console: axe-core's rules (a serious
 * or critical violation fails the run), and at 360 px that the page fits: the document no wider
 * than the screen, no region that scrolls sideways, no word broken across lines, every key's
 * actions on the screen. Each result is printed, and kept for the summary at the end.
 */

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export const failures: string[] = [];

export function expectEqual(what: string, actual: unknown, expected: unknown): void {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  console.log(`${ok ? "ok  " : "FAIL"} ${what}: ${JSON.stringify(actual)}${ok ? "" : ` (expected ${JSON.stringify(expected)})`}`);
  if (!ok) failures.push(what);
}

export interface AxeRow {
  size: string;
  view: string;
  violations: { id: string; impact: string | null; nodes: number }[];
}
export const axeRows: AxeRow[] = [];
export const widthRows: { view: string; viewport: number; document: number; sideways: string[]; broken: string[] }[] = [];

/**
 * axe-core on the page as it is now. Its source goes in through the DevTools protocol, which the
 * page's policy does not govern: the page itself still runs nothing but its own script.
 */
export async function axe(page: Page, size: string, view: string): Promise<void> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const a = (window as unknown as { axe: { run(c: Document, o: unknown): Promise<{ violations: any[] }> } }).axe;
    const result = await a.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id as string,
      impact: v.impact as string | null,
      nodes: v.nodes.length as number,
      targets: v.nodes.slice(0, 3).map((n: { target: string[] }) => n.target.join(" ")) as string[],
    }));
  });
  axeRows.push({ size, view, violations: violations.map(({ id, impact, nodes }) => ({ id, impact, nodes })) });
  const grave = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const said = violations.map((v) => `${v.id} (${v.impact}, ${v.nodes}: ${v.targets.join(", ")})`).join("; ") || "none";
  console.log(`${grave.length === 0 ? "ok  " : "FAIL"} ${size}: axe on ${view}: ${violations.length} violations: ${said}`);
  if (grave.length > 0) failures.push(`${size}: axe on ${view}`);
}

/**
 * At 360 px: the document no wider than the viewport, no element that scrolls sideways (a table
 * in an overflow box is sideways scrolling too), no word laid out over two lines, and every
 * element named by `reachable` within the screen's width.
 */
export async function fits(page: Page, view: string, reachable?: string): Promise<void> {
  const measured = await page.evaluate((sel) => {
    const viewport = window.innerWidth;
    const sideways = [...document.querySelectorAll("body *")]
      .filter((e) => !["INPUT", "TEXTAREA", "SELECT"].includes(e.tagName) && e.getClientRects().length > 0)
      .filter((e) => e.scrollWidth > e.clientWidth + 1 && ["auto", "scroll"].includes(getComputedStyle(e).overflowX))
      .map((e) => e.id || e.className || e.tagName);
    const broken: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement;
      if (!parent || parent.closest("[hidden], script, style, noscript, option, .visually-hidden") || parent.getClientRects().length === 0)
        continue;
      for (const m of (n.textContent ?? "").matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(n, m.index!);
        range.setEnd(n, m.index! + m[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
    const outside = sel
      ? [...document.querySelectorAll(sel)]
          .filter((e) => {
            const r = e.getBoundingClientRect();
            return r.left < 0 || r.right > viewport;
          })
          .map((e) => e.getAttribute("aria-label") ?? e.id)
      : [];
    return {
      viewport,
      document: document.documentElement.scrollWidth,
      sideways,
      broken,
      outside,
      count: sel ? document.querySelectorAll(sel).length : 0,
    };
  }, reachable ?? null);
  widthRows.push({ view, viewport: measured.viewport, document: measured.document, sideways: measured.sideways, broken: measured.broken });
  expectEqual(
    `phone: ${view} fits 360 px (document width, sideways scrolling, words broken${reachable ? `, ${measured.count} actions off-screen` : ""})`,
    [measured.document, measured.sideways, measured.broken, measured.outside],
    [measured.viewport, [], [], []],
  );
}

/** Every word the page holds (hidden parts too) and every field's value: what signing out must bring back to the first load's. */
export function leftovers(page: Page): Promise<{ text: string; fields: string[] }> {
  return page.evaluate(() => ({
    // The sign-in page's own line ("Signed out.") aside: it speaks of the session that ended.
    text: (() => {
      const body = document.body.cloneNode(true) as HTMLElement;
      body.querySelector("#signin-error")?.replaceChildren();
      return (body.textContent ?? "").replace(/\s+/g, " ");
    })(),
    fields: [...document.querySelectorAll("input, textarea, select")].map((f) => {
      const i = f as HTMLInputElement;
      return `${i.id || i.name}=${i.type === "checkbox" || i.type === "radio" ? i.checked : i.value}`;
    }),
  }));
}

/** The summary printed at the end: axe's results per view at both widths, and the widths measured at 360 px. */
export function summary(): void {
  console.log("\naxe-core results (serious or critical fail the run):");
  for (const r of axeRows) {
    const said = r.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes})`).join(", ") || "no violations";
    console.log(`  ${r.size.padEnd(8)} ${r.view.padEnd(34)} ${said}`);
  }
  console.log("\nwidths at 360 px (document scrollWidth / viewport; sideways-scrolling regions; words broken):");
  for (const w of widthRows) {
    console.log(
      `  ${w.view.padEnd(34)} ${w.document} / ${w.viewport}  ${w.sideways.length ? w.sideways.join(", ") : "none"}  ${w.broken.length ? w.broken.join(" ") : "none"}`,
    );
  }
}
