import { z } from "zod";
import { route } from "@/lib/http/route";
import { HandlerInfo } from "@/lib/renewal/handler";
import { saveHandler } from "@/lib/renewal/flow";
import { holderCertificateId } from "../_holder";

const Body = z.object({
  handler: HandlerInfo,
  captchaId: z.string().uuid({ error: "captchaInvalid" }),
  captchaAnswer: z.string({ error: "required" }).trim().min(1, "required").max(16, "captchaInvalid"),
});

/** 下一步 on the details step: creates the draft order, or changes its handler (返回修改). */
export const POST = route(
  { session: "holder", requireSession: true, body: Body, idempotency: "renew.handler" },
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
    }),
);
