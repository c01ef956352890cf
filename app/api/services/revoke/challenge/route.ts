import type { ChallengeResponse } from "@/lib/api/common";
import { RevokeChallengeRequest } from "@/lib/api/services";
import { route } from "@/lib/http/route";
import { revocationChallenge } from "@/lib/services/revoke";
import { rateKey } from "../../_rate-key";

/** The `revoke` challenge for the certificate on the key; refused up front when it cannot be revoked now. */
export const POST = route({ body: RevokeChallengeRequest }, async ({ db, body, config, clock, actor }) => {
  const c = await revocationChallenge(db, {
    certificateDer: body.certificate,
    origin: config.publicOrigin,
    clock,
    rateKey: rateKey(actor.ip),
    ip: actor.ip,
  });
  return { challenge: c.text, expiresAt: c.expiresAt.toISOString() } satisfies ChallengeResponse;
});
