import { createHmac, randomUUID } from "node:crypto";
import type { Db } from "../db";
import { sqlRows } from "../db/lean";
import type { Clock } from "../clock";
import { MINUTE } from "../clock";
import { DomainError } from "../errors";
import type { Config } from "../config";
import { matchesAnySessionSecret } from "../crypto/link-token";
import { drawCaptcha } from "./draw";
import { checkBackoff, clearRateLimit, hitRateLimit, recordBackoffFailure, type Backoff } from "../ratelimit";

export const CAPTCHA_TTL_MS = 5 * MINUTE;
/** accepted only when TEST_CAPTCHA_BYPASS=1 (load tests); never set in production */
export const TEST_BYPASS_ANSWER = "test-bypass";

/**
 * The captcha is one layer, not the defence: wrong answers from one client address cost growing delays (the first
 * few are free: people mistype), on top of each route's own per-address limits.
 */
export const CAPTCHA_BACKOFF: Backoff = { free: 5, baseMs: 30 * 1000, maxMs: 15 * MINUTE, forgetMs: 60 * MINUTE };
const failureKey = (who: string) => `captcha.fail:${who}`;

/**
 * What the captcha needs of the configuration: the HMAC secret (and the previous one during a rotation, so a captcha
 * drawn by an instance still on the old secret can be answered on one with the new) and whether load tests may skip it.
 */
export type CaptchaConfig = Pick<Config, "SESSION_SECRET" | "TEST_CAPTCHA_BYPASS"> &
  Partial<Pick<Config, "SESSION_SECRET_PREVIOUS">>;

const hashWith = (secret: string, id: string, answer: string) =>
  createHmac("sha256", secret).update(`captcha:${id}:${answer.trim().toLowerCase()}`).digest("hex");

export function answerHash(config: CaptchaConfig, id: string, answer: string): string {
  return hashWith(config.SESSION_SECRET, id, answer);
}

// every holder's 下一步 runs both (lib/db/lean.ts); a captcha is used once, right or wrong
const NEW_CAPTCHA = `INSERT INTO "Captcha" ("id", "answerHash", "expiresAt", "createdAt") VALUES ($1, $2, $3, $4)`;
const USE_CAPTCHA = `UPDATE "Captcha" SET "usedAt" = $2 WHERE "id" = $1 AND "usedAt" IS NULL RETURNING "expiresAt", "answerHash"`;

/** Keeps a new captcha's answer (as its HMAC, bound to the id) for CAPTCHA_TTL_MS; returns the captcha's id. */
export async function storeCaptcha(db: Db, clock: Clock, config: CaptchaConfig, answer: string): Promise<string> {
  const id = randomUUID();
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + CAPTCHA_TTL_MS);
  await sqlRows(db, NEW_CAPTCHA, [id, answerHash(config, id, answer), expiresAt, now]);
  return id;
}

/** A new captcha image; the answer is kept only as an HMAC bound to the captcha id. */
export async function createCaptcha(
  db: Db,
  clock: Clock,
  rateKey: string,
  config: CaptchaConfig,
): Promise<{ id: string; svg: string }> {
  await hitRateLimit(db, `captcha:${rateKey}`, { max: 60, windowMs: 10 * MINUTE }, clock);
  const { text, svg } = drawCaptcha();
  return { id: await storeCaptcha(db, clock, config, text), svg };
}

/**
 * Checks an answer once: right or wrong, the captcha is used up (a wrong answer needs a new image).
 * Throws CAPTCHA_INVALID or CAPTCHA_EXPIRED, or RATE_LIMITED while `who` (the client address) waits after too many
 * wrong answers.
 */
export async function verifyCaptcha(
  db: Db,
  id: string,
  answer: string,
  clock: Clock,
  config: CaptchaConfig,
  who: string | null = null,
): Promise<void> {
  if (config.TEST_CAPTCHA_BYPASS && answer === TEST_BYPASS_ANSWER) return;
  const key = failureKey(who ?? "unknown");
  await checkBackoff(db, key, CAPTCHA_BACKOFF, clock);
  try {
    await checkAnswer(db, id, answer, clock, config);
  } catch (e) {
    await recordBackoffFailure(db, key, CAPTCHA_BACKOFF, clock);
    throw e;
  }
  await clearRateLimit(db, key);
}

async function checkAnswer(db: Db, id: string, answer: string, clock: Clock, config: CaptchaConfig): Promise<void> {
  const now = clock.now();
  const [row] = await sqlRows<{ expiresAt: Date; answerHash: string }>(db, USE_CAPTCHA, [id, now]);
  if (!row) throw new DomainError("CAPTCHA_INVALID", { fields: { captcha: "captchaInvalid" } });
  if (row.expiresAt.getTime() <= now.getTime())
    throw new DomainError("CAPTCHA_EXPIRED", { fields: { captcha: "captchaExpired" } });
  if (!matchesAnySessionSecret(config, row.answerHash, (secret) => hashWith(secret, id, answer)))
    throw new DomainError("CAPTCHA_INVALID", { fields: { captcha: "captchaInvalid" } });
}
