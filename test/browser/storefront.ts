/**
 * `npm run test:browser`: the storefront recipe (docs/verifying-tokens.md) in a real browser.
 * A page on one origin gets an implicit token from edge-token on another, bound to a
 * non-extractable WebCrypto key, and reads the shop's API (test/fixtures/recipes/storefront-api.ts)
 * on a third, all across CORS; a copy of the token sent as Bearer is refused. Headless Chromium
 * (Debian's package, /usr/bin/chromium, or CHROMIUM_PATH) driven by playwright-core; edge-token
 * and the shop's API are Workers in one workerd, the page comes from a plain HTTP server on
 * loopback (Chrome refuses a page it cannot place in an address space access to loopback).
 * Prints what the page saw and exits 1 when anything differs from what is expected.
 */
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { freePort } from "../../src/cli/ports.ts";
import { bundle, createApplicationKey } from "../bench/workers.ts";
import { edgeTokenOnPort, haveChromium, launchChromium } from "./harness.ts";

/** The page: it loads the recipe's own script and does what a storefront does with it. */
const PAGE = (o: { issuer: string; clientId: string; api: string }) => `<!doctype html>
<title>storefront</title>
<script type="module">
import { dpopKey, getFromApi, implicitToken } from "/storefront.js";
const seen = {};
try {
  const keys = await dpopKey();
  seen.private_key_extractable = keys.privateKey.extractable;
  seen.private_key_export = await crypto.subtle.exportKey("jwk", keys.privateKey).then(() => "exported", (e) => e.name);
  const token = await implicitToken(${JSON.stringify(o.issuer)}, ${JSON.stringify(o.clientId)}, keys);
  const claims = JSON.parse(atob(token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")));
  seen.token = { grant_type: claims.grant_type, scope: claims.scope, bound: typeof claims.cnf?.jkt === "string" };
  const res = await getFromApi(${JSON.stringify(`${o.api}/products`)}, token, keys);
  seen.api_with_proof = [res.status, await res.json()];
  const copied = await fetch(${JSON.stringify(`${o.api}/products`)}, { headers: { Authorization: "Bearer " + token } });
  seen.api_copied_as_bearer = copied.status;
} catch (e) {
  seen.error = String(e);
}
window.seen = seen;
</script>`;

const EXPECTED = {
  private_key_extractable: false,
  private_key_export: "InvalidAccessError",
  token: { grant_type: "implicit", scope: "read", bound: true },
  api_with_proof: [200, { products: [{ sku: "tee-01", name: "T-shirt" }] }],
  api_copied_as_bearer: 401,
};

async function main(): Promise<number> {
  if (!haveChromium("test:browser")) return 0;
  const service = unstable_readConfig({ config: "wrangler.toml" });
  const [authPort, apiPort, pagePort] = [await freePort(), await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${authPort}`;
  const api = `http://127.0.0.1:${apiPort}`;
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      handleStructuredLogs: () => {},
      workers: [
        await edgeTokenOnPort(authPort, "browser-edge-token"),
        {
          name: "shop-api",
          modules: true,
          compatibilityDate: service.compatibility_date!,
          unsafeDirectSockets: [{ host: "127.0.0.1", port: apiPort }],
          scriptPath: bundle("test/fixtures/recipes/storefront-api.ts", "browser-storefront-api"),
          serviceBindings: { EDGE_TOKEN: "edge-token" },
          bindings: { ISSUER: issuer },
        },
      ],
    } as never),
  );
  const browser = await launchChromium();
  let site: Server | undefined;
  try {
    await mf.ready;
    const shop = await createApplicationKey(mf, { name: "shop", scope: "read", grant_types: ["implicit"] });
    const html = PAGE({ issuer, clientId: shop.client_id, api });
    const script = readFileSync("test/fixtures/recipes/storefront.js", "utf8");
    const page = await (await browser.newContext()).newPage();
    // What the browser itself reports (a CORS refusal, a failed request) is printed with the result.
    const reported: string[] = [];
    page.on("console", (m) => reported.push(`console.${m.type()}: ${m.text()}`));
    page.on("requestfailed", (r) => reported.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    // The page's own origin: a shop's static site, the page and the recipe's script.
    const origin = `http://127.0.0.1:${pagePort}`;
    site = createHttpServer((req, res) => {
      const js = req.url === "/storefront.js";
      res.writeHead(200, { "Content-Type": js ? "text/javascript" : "text/html; charset=utf-8" }).end(js ? script : html);
    }).listen(pagePort, "127.0.0.1");
    const [, seen] = await Promise.all([
      page.goto(`${origin}/`),
      page.waitForFunction(() => (window as unknown as { seen?: unknown }).seen, undefined, { timeout: 20_000 }).then((h) => h.jsonValue()),
    ]);
    console.log(`Chromium ${browser.version()}, page ${origin}, edge-token ${issuer}, shop API ${api}`);
    console.log(JSON.stringify(seen, null, 2));
    for (const line of reported) console.log(line);
    const same = JSON.stringify(seen) === JSON.stringify(EXPECTED);
    console.log(same ? "test:browser: passed" : `test:browser: FAILED, expected ${JSON.stringify(EXPECTED)}`);
    return same ? 0 : 1;
  } finally {
    await browser.close();
    site?.close();
    await mf.dispose();
  }
}

process.exit(await main());
