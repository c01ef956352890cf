import { route } from "@/lib/http/route";
import { startUnlock } from "@/lib/services/unlock";
import { UnlockStartRequest } from "@/lib/api/services";

/** Identity check (ID number on record + captcha); sends the one-time code to the contact on record. */
export const POST = route({ body: UnlockStartRequest }, async ({ db, body, clock, actor, locale, config }) =>
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
