// A Node resource server that trusts edge-token's tokens with jose.
import { createServer } from "node:http";
import { createRemoteJWKSet, jwtVerify } from "jose";

const ISSUER = process.env.ISSUER ?? "https://auth.example.com"; // edge-token's ISSUER
// Fetched once, cached, refetched on an unknown kid (a rotation): jose does it.
const JWKS = createRemoteJWKSet(new URL(`${ISSUER}/.well-known/jwks.json`));

export const server = createServer(async (req, res) => {
  const token = /^Bearer ([^ ]+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
  try {
    const { payload } = await jwtVerify(token, JWKS, {
      issuer: ISSUER,
      audience: ISSUER,
      typ: "at+jwt", // RFC 9068 access tokens
      algorithms: ["EdDSA", "ES256"],
    });
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ client_id: payload.client_id, scope: payload.scope }));
  } catch {
    res.writeHead(401, { "WWW-Authenticate": 'Bearer error="invalid_token"' }).end();
  }
});
