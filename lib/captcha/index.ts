import { createHmac } from "node:crypto";
import svgCaptcha from "svg-captcha";
import type { Db } from "../db";
import type { Clock } from "../clock";
import { MINUTE } from "../clock";
import { DomainError } from "../errors";
import type { Config } from "../config";
import { hitRateLimit } from "../ratelimit";

export const CAPTCHA_TTL_MS = 5 * MINUTE;
/** accepted only when TEST_CAPTCHA_BYPASS=1 (load tests); never set in production */
export const TEST_BYPASS_ANSWER = "test-bypass";

/** What the captcha needs of the configuration: the HMAC secret and whether load tests may skip it. */
export type CaptchaConfig = Pick<Config, "SESSION_SECRET" | "TEST_CAPTCHA_BYPASS">;

export function answerHash(config: CaptchaConfig, id: string, answer: string): string {
  return createHmac("sha256", config.SESSION_SECRET)
    .update(`captcha:${id}:${answer.trim().toLowerCase()}`)
    .digest("hex");
}

/** A new captcha image; the answer is kept only as an HMAC bound to the captcha id. */
export async function createCaptcha(
  db: Db,
  clock: Clock,
  rateKey: string,
  config: CaptchaConfig,
): Promise<{ id: string; svg: string }> {
  await hitRateLimit(db, `captcha:${rateKey}`, { max: 60, windowMs: 10 * MINUTE }, clock);
  const { text, data } = svgCaptcha.create({
    size: 4,
    noise: 2,
    ignoreChars: "0o1ilI",
    color: true,
    background: "#f4f6f8",
  });
  const row = await db.captcha.create({
    data: { answerHash: "", expiresAt: new Date(clock.now().getTime() + CAPTCHA_TTL_MS) },
  });
  await db.captcha.update({ where: { id: row.id }, data: { answerHash: answerHash(config, row.id, text) } });
  return { id: row.id, svg: data };
}

/**
 * Checks an answer once: right or wrong, the captcha is used up (a wrong answer needs a new image).
 * Throws CAPTCHA_INVALID or CAPTCHA_EXPIRED.
 */
export async function verifyCaptcha(
  db: Db,
  id: string,
  answer: string,
  clock: Clock,
  config: CaptchaConfig,
): Promise<void> {
  if (config.TEST_CAPTCHA_BYPASS && answer === TEST_BYPASS_ANSWER) return;
  const now = clock.now();
  const used = await db.captcha.updateMany({ where: { id, usedAt: null }, data: { usedAt: now } });
  const row = used.count === 1 ? await db.captcha.findUnique({ where: { id } }) : null;
  if (!row) throw new DomainError("CAPTCHA_INVALID", { fields: { captcha: "captchaInvalid" } });
  if (row.expiresAt.getTime() <= now.getTime())
    throw new DomainError("CAPTCHA_EXPIRED", { fields: { captcha: "captchaExpired" } });
  if (row.answerHash !== answerHash(config, id, answer))
    throw new DomainError("CAPTCHA_INVALID", { fields: { captcha: "captchaInvalid" } });
}
