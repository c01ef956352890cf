import { RevokeRequest } from "@/lib/api/services";
import { route } from "@/lib/http/route";
import { revokeByHolder } from "@/lib/services/revoke";

/** 证书注销: the signed challenge proves possession; reason and the explicit confirmation are checked on the server. */
export const POST = route({ body: RevokeRequest }, async ({ db, ca, alipay, body, config, clock, actor, locale }) =>
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
    pay: { alipay, links: config },
  }),
);
