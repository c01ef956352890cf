import { z } from "zod";
import { route } from "@/lib/http/route";
import { issueChallenge } from "@/lib/renewal/pop";

const Body = z.object({ serial: z.string().regex(/^[0-9a-fA-F:]{1,64}$/) });

/** A single-use login challenge for the certificate on the inserted key. */
export const POST = route({ body: Body }, async ({ db, body, config, clock, actor }) => {
  const c = await issueChallenge(db, {
    serial: body.serial,
    origin: config.publicOrigin,
    purpose: "login",
    clock,
    ip: actor.ip,
  });
  return { challenge: c.text, expiresAt: c.expiresAt.toISOString() };
});
