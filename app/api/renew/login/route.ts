import { LoginRequest, type LoginResponse } from "@/lib/api/renew";
import { route } from "@/lib/http/route";
import { getUpstreamIssuer } from "@/lib/pki/issuers";
import { readCookie } from "@/lib/http/request";
import { holderLogin } from "@/lib/renewal/flow";
import { COOKIE, TIMEOUTS, destroySession } from "@/lib/session";

/** 提交 on the insert-key step: proof of possession + eligibility, then the holder session cookie. */
export const POST = route({ body: LoginRequest }, async ({ db, ca, body, config, clock, actor, req, setCookie }) => {
  const login = await holderLogin(db, {
    challengeText: body.challenge,
    signatureB64: body.signature,
    origin: config.publicOrigin,
    actor,
    clock,
    // RA mode: the old certificate's revocation goes to the operator's CA as an intent
    revokeSupersededWith: config.REVOKE_SUPERSEDED_ON_RENEWAL
      ? getUpstreamIssuer()
        ? "upstream"
        : await ca()
      : undefined,
  });
  await destroySession(db, readCookie(req, COOKIE.holder));
  setCookie(COOKIE.holder, login.token, { maxAgeSeconds: TIMEOUTS.holder.absoluteMs / 1000 });
  return { step: login.step, csrfToken: login.session.csrfToken } satisfies LoginResponse;
});
