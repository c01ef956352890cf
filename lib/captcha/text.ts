import { randomInt } from "node:crypto";
import type { Db } from "../db";
import type { Clock } from "../clock";
import { MINUTE } from "../clock";
import type { Locale } from "../errors/types";
import { getMessages } from "../messages";
import { hitRateLimit } from "../ratelimit";
import { fill } from "../messages/format";
import { storeCaptcha, type CaptchaConfig } from "./index";

const ZH_DIGITS = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/** A small sum or difference, written out in words: the answer is always 0–18, typed as digits. */
export function textQuestion(
  locale: Locale,
  pick: (max: number) => number = randomInt,
): { text: string; answer: string } {
  const q = getMessages(locale).wizard.details;
  let a = 1 + pick(9);
  let b = 1 + pick(9);
  const plus = pick(2) === 0;
  if (!plus && b > a) [a, b] = [b, a];
  const word = (n: number) => (locale === "en" ? String(n) : ZH_DIGITS[n]);
  return {
    text: fill(plus ? q.captchaQuestionPlus : q.captchaQuestionMinus, { a: word(a), b: word(b) }),
    answer: String(plus ? a + b : a - b),
  };
}

/**
 * The accessible alternative to the image (for screen readers and anyone who cannot read it): a question in
 * words, answered in digits. It is one more captcha row checked by verifyCaptcha like an image's, and it counts
 * against the same per-client limit as the images, so switching kinds gives no extra tries.
 */
export async function createTextCaptcha(
  db: Db,
  clock: Clock,
  rateKey: string,
  config: CaptchaConfig,
  locale: Locale,
): Promise<{ id: string; question: string }> {
  await hitRateLimit(db, `captcha:${rateKey}`, { max: 60, windowMs: 10 * MINUTE }, clock);
  const { text, answer } = textQuestion(locale);
  return { id: await storeCaptcha(db, clock, config, answer), question: text };
}
