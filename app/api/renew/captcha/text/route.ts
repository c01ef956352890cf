import type { TextCaptchaResponse } from "@/lib/api/common";
import { createTextCaptcha } from "@/lib/captcha/text";
import { json, route } from "@/lib/http/route";
import { holderCertificateId } from "../../_holder";

/** The captcha's accessible kind: a question in words (read by screen readers), answered in digits. */
export const GET = route(
  { session: "holder", requireSession: true },
  async ({ db, session, clock, config, locale }) => {
    const captcha = await createTextCaptcha(db, clock, holderCertificateId(session), config, locale);
    return json({ id: captcha.id, question: captcha.question } satisfies TextCaptchaResponse, 200);
  },
);
