import type { CaptchaResponse } from "@/lib/api/common";
import { createCaptcha } from "@/lib/captcha";
import { json, route } from "@/lib/http/route";
import { rateKey } from "../_rate-key";

/** A new captcha image (SVG markup with its id) for the online unlock; the answer stays on the server. */
export const GET = route({}, async ({ db, clock, actor, config }) => {
  const captcha = await createCaptcha(db, clock, `services:${rateKey(actor.ip)}`, config);
  return json({ id: captcha.id, svg: captcha.svg } satisfies CaptchaResponse, 200);
});
