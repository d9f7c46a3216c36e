/**
 * The self-hosted peer: node-oidc-provider on Node, issuing client_credentials access tokens
 * as JWTs signed with the same algorithm (EdDSA). Started by bench.ts as its own process, so
 * its CPU time can be read apart from the load generator's.
 *
 *   node test/bench/peer.ts PORT   → prints "ready" once listening
 */
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { PEER_CLIENT } from "./peer-client.ts";

const RESOURCE = "https://api.example";

const port = Number(process.argv[2] ?? 3100);
const { privateKey } = await generateKeyPair("Ed25519", { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: "peer", alg: "EdDSA", use: "sig" };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      ...PEER_CLIENT,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: "client_secret_post",
      id_token_signed_response_alg: "EdDSA",
    },
  ],
  jwks: { keys: [jwk as never] },
  scopes: ["read", "write"],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "read write",
        audience: RESOURCE,
        accessTokenTTL: 3600,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: "EdDSA" } },
      }),
    },
  },
});
provider.listen(port, "127.0.0.1", () => console.log("ready"));
