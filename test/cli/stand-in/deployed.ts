import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { bundle, EDGE_TOKEN_OBJECTS } from "../../bench/workers.ts";

/**
 * A stand-in for the deployed Worker, for npm run deploy and the CLI's --remote: the real Worker
 * in workerd, behind a local HTTP server, running with the secrets the stand-in wrangler was
 * given (state.json in $STANDIN_DIR). A secret put or deleted takes effect on the next request,
 * as a new version would. /__standin/kv lets the stand-in wrangler list this deployment's KV.
 */
export interface Deployed {
  url: string;
  close(): Promise<void>;
}

// The Worker is bundled once per test process; every stand-in deployment runs the same script.
let bundled: string | undefined;

export async function startDeployed(standinDir: string, persist: string): Promise<Deployed> {
  const service = unstable_readConfig({ config: "wrangler.toml" });
  bundled ??= bundle("src/index.ts", "deployed-edge-token");
  const script = bundled;
  let mf: Miniflare | undefined;
  let applied = "";
  let url = "";

  const worker = async () => {
    const secrets = JSON.parse(await readFile(join(standinDir, "state.json"), "utf8").catch(() => "{}")).secrets ?? {};
    const bootstrap = typeof secrets.BOOTSTRAP_SECRET_HASH === "string" ? secrets.BOOTSTRAP_SECRET_HASH : "";
    const kek = typeof secrets.SIGNING_KEY_KEK === "string" ? secrets.SIGNING_KEY_KEK : "";
    const options = convertV4MiniflareOptions({
      name: "edge-token",
      modules: true,
      scriptPath: script,
      compatibilityDate: service.compatibility_date,
      kvNamespaces: ["CLIENTS", "REVOCATIONS"],
      durableObjects: EDGE_TOKEN_OBJECTS,
      bindings: { ...(service.vars as Record<string, string>), ISSUER: url, SIGNING_KEY_KEK: kek, BOOTSTRAP_SECRET_HASH: bootstrap },
      resourcePersistencePath: persist,
      handleStructuredLogs: () => {},
    } as never);
    if (!mf) mf = new Miniflare(options);
    else if (`${bootstrap} ${kek}` !== applied) await mf.setOptions(options);
    applied = `${bootstrap} ${kek}`;
    return mf;
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const mf = await worker();
      const target = new URL(req.url ?? "/", url);
      if (target.pathname === "/__standin/kv") {
        const kv = await mf.getKVNamespace(target.searchParams.get("binding")!);
        const { keys } = await kv.list({ prefix: target.searchParams.get("prefix") ?? "" });
        res.end(JSON.stringify(keys));
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const response = await mf.dispatchFetch(target.href, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      await new Promise((r) => server.close(r));
      await mf?.dispose();
    },
  };
}
