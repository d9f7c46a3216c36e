// A Node resource server that trusts edge-token's tokens, DPoP-bound ones included.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createVerifier, JwksUnavailableError, protectedResource, unauthorized, unavailable } from "edge-token/verify";

const ISSUER = process.env.ISSUER ?? "https://auth.example.com"; // edge-token's ISSUER
// This API's identifier (RFC 8707, one of edge-token's RESOURCES): tokens must be issued for it.
const RESOURCE = process.env.RESOURCE ?? "https://orders.example.com";
// The key set, each token's status list and the cut-offs are fetched from the issuer over HTTP,
// checked against its signature and cached: a revoked token is refused here too, with no
// access to edge-token's storage.
const verifier = createVerifier({ issuer: ISSUER, jwks: `${ISSUER}/.well-known/jwks.json`, resource: { uri: RESOURCE, name: "Orders" } });
// RFC 9728: the document that tells a client which authorization server issues tokens for this API.
const metadata = protectedResource(verifier);

export const server = createServer((req, res) => {
  answer(req).then(
    (response) => send(res, response),
    (error: unknown) => {
      // The issuer's key set could not be had: the token may be good, so 503, not 401.
      if (error instanceof JwksUnavailableError) return send(res, unavailable());
      console.error(error);
      return send(res, new Response(null, { status: 500 }));
    },
  );
});

async function answer(req: IncomingMessage): Promise<Response> {
  const request = asSent(req);
  if (request === undefined) return new Response(null, { status: 400 });
  const document = metadata(request); // GET /.well-known/oauth-protected-resource
  if (document) return document;
  const result = await verifier.verifyRequest(request);
  // 401 with the Bearer (naming the document) and DPoP challenges, or 403
  if (!result.valid) return unauthorized(result, "api", verifier.resource?.metadataUrl);
  return Response.json({ client_id: result.claims.client_id, scope: result.claims.scope });
}

/**
 * The request as the client sent it: a DPoP proof is bound to its method and URL. Behind a
 * proxy that ends TLS, build the URL the client used (https, its host). Undefined for what no
 * Request can hold (a Host header that is no host, a method fetch forbids).
 */
function asSent(req: IncomingMessage): Request | undefined {
  const url = URL.parse(req.url ?? "/", `http://${req.headers.host}`);
  const headers = Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : []));
  try {
    return url === null ? undefined : new Request(url, { method: req.method ?? "GET", headers });
  } catch {
    return undefined;
  }
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers)).end(await response.text());
}
