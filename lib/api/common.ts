import { z } from "zod";

/** The states of a renewal order (the database enum OrderState; lib/api/contract.test.ts holds them equal). */
export const OrderState = z.enum([
  "draft",
  "submitted",
  "awaiting_payment",
  "paid",
  "issuing",
  "issued",
  "installed",
  "cancelled",
  "expired",
  "refund_pending",
  "refunded",
]);

/** Answers shared by the wizard's and the service pages' routes. zod only. */

/** A captcha image (SVG markup) and its id; the answer stays on the server. */
export const CaptchaResponse = z.object({ id: z.string(), svg: z.string() });
export type CaptchaResponse = z.infer<typeof CaptchaResponse>;

/** The captcha's accessible kind: a question in words, answered in digits; checked like an image's answer. */
export const TextCaptchaResponse = z.object({ id: z.string(), question: z.string() });
export type TextCaptchaResponse = z.infer<typeof TextCaptchaResponse>;

/** A single-use challenge text for the key to sign. */
export const ChallengeResponse = z.object({ challenge: z.string(), expiresAt: z.string() });
export type ChallengeResponse = z.infer<typeof ChallengeResponse>;
