import type { CaptchaResponse } from "@/lib/api/common";
import { createCaptcha } from "@/lib/captcha";
import { json, route } from "@/lib/http/route";
import { holderCertificateId } from "../_holder";

/** A new captcha image (SVG markup in JSON, with its id); the answer stays on the server. */
export const GET = route({ session: "holder", requireSession: true }, async ({ db, session, clock, config }) => {
  const captcha = await createCaptcha(db, clock, holderCertificateId(session), config);
  return json({ id: captcha.id, svg: captcha.svg } satisfies CaptchaResponse, 200);
});
