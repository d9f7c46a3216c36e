// A Node resource server that trusts edge-token's tokens, DPoP-bound ones included.
import { createServer, type ServerResponse } from "node:http";
import { createVerifier, protectedResource, unauthorized } from "edge-token/verify";

const ISSUER = process.env.ISSUER ?? "https://auth.example.com"; // edge-token's ISSUER
// This API's identifier (RFC 8707, one of edge-token's RESOURCES): tokens must be issued for it.
const RESOURCE = process.env.RESOURCE ?? "https://orders.example.com";
// The key set, each token's status list and the cut-offs are fetched from the issuer over HTTP,
// checked against its signature and cached: a revoked token is refused here too, with no
// access to edge-token's storage.
const verifier = createVerifier({ issuer: ISSUER, jwks: `${ISSUER}/.well-known/jwks.json`, resource: { uri: RESOURCE, name: "Orders" } });
// RFC 9728: the document that tells a client which authorization server issues tokens for this API.
const metadata = protectedResource(verifier);

export const server = createServer(async (req, res) => {
  // The request as the client sent it: a DPoP proof is bound to its method and URL. Behind a
  // proxy that ends TLS, build the URL the client used (https, its host).
  const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
  const headers = Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : []));
  const request = new Request(url, { method: req.method, headers });
  const document = metadata(request); // GET /.well-known/oauth-protected-resource
  if (document) return send(res, document);
  const result = await verifier.verifyRequest(request);
  // 401 with the Bearer (naming the document) and DPoP challenges, or 403
  if (!result.valid) return send(res, unauthorized(result, "api", verifier.resource?.metadataUrl));
  res
    .writeHead(200, { "Content-Type": "application/json" })
    .end(JSON.stringify({ client_id: result.claims.client_id, scope: result.claims.scope }));
});

async function send(res: ServerResponse, answer: Response): Promise<void> {
  res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(await answer.text());
}
