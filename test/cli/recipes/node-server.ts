// A Node resource server that trusts edge-token's tokens, DPoP-bound ones included.
import { createServer } from "node:http";
import { createVerifier, unauthorized } from "edge-token/verify";

const ISSUER = process.env.ISSUER ?? "https://auth.example.com"; // edge-token's ISSUER
// The key set, each token's status list and the cut-offs are fetched from the issuer over HTTP,
// checked against its signature and cached: a revoked token is refused here too, with no
// access to edge-token's storage.
const verifier = createVerifier({ issuer: ISSUER, jwks: `${ISSUER}/.well-known/jwks.json` });

export const server = createServer(async (req, res) => {
  // The request as the client sent it: a DPoP proof is bound to its method and URL. Behind a
  // proxy that ends TLS, build the URL the client used (https, its host).
  const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
  const headers = Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : []));
  const result = await verifier.verifyRequest(new Request(url, { method: req.method, headers }));
  if (!result.valid) {
    const refusal = unauthorized(result); // 401 with the Bearer and DPoP challenges, or 403
    res.writeHead(refusal.status, Object.fromEntries(refusal.headers)).end(await refusal.text());
    return;
  }
  res
    .writeHead(200, { "Content-Type": "application/json" })
    .end(JSON.stringify({ client_id: result.claims.client_id, scope: result.claims.scope }));
});
