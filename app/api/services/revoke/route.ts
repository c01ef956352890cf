import { z } from "zod";
import { route } from "@/lib/http/route";
import { revokeByHolder } from "@/lib/services/revoke";

const Body = z.object({
  challenge: z.string().min(1).max(512),
  signature: z.string().min(1).max(2048),
  reason: z.string().max(40),
  confirmed: z.boolean(),
});

/** 证书注销: the signed challenge proves possession; reason and the explicit confirmation are checked on the server. */
export const POST = route({ body: Body }, async ({ db, ca, body, config, clock, actor, locale }) =>
  revokeByHolder(db, {
    challengeText: body.challenge,
    signatureB64: body.signature,
    reason: body.reason,
    confirmed: body.confirmed,
    origin: config.publicOrigin,
    locale,
    clock,
    actor,
    ca: await ca(),
  }),
);
