import { HandlerRequest } from "@/lib/api/renew";
import { route } from "@/lib/http/route";
import { saveHandler } from "@/lib/renewal/flow";
import { holderCertificateId } from "../_holder";

/** 下一步 on the details step: creates the draft order, or changes its handler (返回修改). */
export const POST = route(
  { session: "holder", requireSession: true, body: HandlerRequest, idempotency: "renew.handler" },
  async ({ db, session, body, actor, clock, locale, config }) =>
    saveHandler(db, {
      certificateId: holderCertificateId(session),
      handler: body.handler,
      captchaId: body.captchaId,
      captchaAnswer: body.captchaAnswer,
      actor,
      clock,
      locale,
      config,
      keys: config,
    }),
);
