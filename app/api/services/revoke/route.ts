import { RevokeRequest } from "@/lib/api/services";
import { route } from "@/lib/http/route";
import { getUpstreamIssuer } from "@/lib/pki/issuers";
import { revokeByHolder } from "@/lib/services/revoke";

/** 证书注销: the signed challenge proves possession; reason and the explicit confirmation are checked on the server. */
export const POST = route({ body: RevokeRequest }, async ({ db, ca, alipay, body, config, clock, actor, locale }) => {
  // RA mode: the operator's CA revokes first; builtin: the portal's CA revokes (CRL and OCSP at once)
  const upstream = getUpstreamIssuer();
  return revokeByHolder(db, {
    challengeText: body.challenge,
    signatureB64: body.signature,
    reason: body.reason,
    confirmed: body.confirmed,
    origin: config.publicOrigin,
    locale,
    clock,
    actor,
    ...(upstream ? { upstream } : { ca: await ca() }),
    pay: { alipay, links: config },
  });
});
