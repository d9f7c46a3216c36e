import { type Env, issuerFor, settings } from "../config/settings.ts";
import { cutoffsUri } from "../oauth/status.ts";
import { cutoffsDocument } from "../store/status-documents.ts";
import { signStatusToken } from "../tokens/sign-status-token.ts";
import { activeSigner } from "../tokens/signing-keys.ts";
import { CUTOFFS_TYP } from "../tokens/status-token.ts";
import { signedKey, signedOnce, statusHeaders, statusTtl } from "./status-lists.ts";

/**
 * GET /oauth/cutoffs: the cut-offs document as a signed token (`typ` `cutoffs+jwt`, the
 * document in `cutoffs`): per client, the key version below which its tokens are revoked and
 * the `iat` up to which its tokens from before version claims are; and the jtis of revoked
 * tokens from before status lists. Every verifier needs it beside the status lists.
 */
export async function getCutoffs(request: Request, env: Env): Promise<Response> {
  const issuer = issuerFor(request, settings(env));
  const ttlSeconds = statusTtl(env);
  const jwt = await signedOnce(env, signedKey(issuer, "cutoffs"), async () => {
    const doc = await cutoffsDocument(env);
    return signStatusToken(await activeSigner(env), CUTOFFS_TYP, {
      issuer,
      subject: cutoffsUri(issuer),
      ttlSeconds,
      claims: { cutoffs: doc.value },
      changedAtMs: doc.iat,
    });
  });
  return new Response(jwt!, { headers: statusHeaders("application/jwt", ttlSeconds) });
}
