import { z } from "zod";
import { route } from "@/lib/http/route";
import { startUnlock } from "@/lib/services/unlock";
import { CertificateB64 } from "../../_schemas";

const Body = z.object({
  certificate: CertificateB64,
  tokenSerial: z.string().min(1).max(64),
  idNumber: z.string().trim().min(6).max(32),
  captchaId: z.uuid(),
  captchaAnswer: z.string().min(1).max(32),
});

/** Identity check (ID number on record + captcha); sends the one-time code to the contact on record. */
export const POST = route({ body: Body }, async ({ db, body, clock, actor, locale, config }) =>
  startUnlock(
    db,
    {
      certificateDer: body.certificate,
      tokenSerial: body.tokenSerial,
      idNumber: body.idNumber,
      captchaId: body.captchaId,
      captchaAnswer: body.captchaAnswer,
      locale,
    },
    { clock, actor, config },
  ),
);
