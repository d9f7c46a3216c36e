// The Hono recipe with withToken (hono-dpop.ts, copied in as printed), served by Node: its
// EDGE_TOKEN binding is plain fetch, so the key set and status lists come over HTTP.
import { createServer } from "node:http";
import app from "./hono-dpop.ts";

const env = {
  ISSUER: process.env.ISSUER!,
  RESOURCE: process.env.RESOURCE!,
  EDGE_TOKEN: { fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) },
};

createServer(async (req, res) => {
  const headers = Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : []));
  const answer = await app.fetch(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers }), env as never);
  res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(await answer.text());
}).listen(Number(process.env.PORT), "127.0.0.1", () => console.log(`listening on ${process.env.PORT}`));
