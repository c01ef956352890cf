import { LoginRequest } from "@/lib/api/renew";
import { route } from "@/lib/http/route";
import { readCookie } from "@/lib/http/request";
import { orgLogin } from "@/lib/org/login";
import { COOKIE, TIMEOUTS, destroySession } from "@/lib/session";

/** 大客户专区 登录: the organisation certificate's key signed a `login` challenge from /api/renew/challenge. */
export const POST = route({ body: LoginRequest }, async ({ db, body, config, clock, actor, req, setCookie }) => {
  const login = await orgLogin(db, {
    challengeText: body.challenge,
    signatureB64: body.signature,
    origin: config.publicOrigin,
    actor,
    clock,
  });
  await destroySession(db, readCookie(req, COOKIE.org));
  setCookie(COOKIE.org, login.token, { maxAgeSeconds: TIMEOUTS.org.absoluteMs / 1000 });
  return { organisation: login.organisation.name, csrfToken: login.session.csrfToken };
});
