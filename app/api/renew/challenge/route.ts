import type { ChallengeResponse } from "@/lib/api/common";
import { ChallengeRequest } from "@/lib/api/renew";
import { route } from "@/lib/http/route";
import { issueChallenge } from "@/lib/renewal/pop";

/** A single-use login challenge for the certificate on the inserted key. */
export const POST = route({ body: ChallengeRequest }, async ({ db, body, config, clock, actor }) => {
  const c = await issueChallenge(db, {
    serial: body.serial,
    origin: config.publicOrigin,
    purpose: "login",
    clock,
    ip: actor.ip,
  });
  return { challenge: c.text, expiresAt: c.expiresAt.toISOString() } satisfies ChallengeResponse;
});
