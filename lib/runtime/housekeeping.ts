import type { Db } from "../db";
import type { Clock } from "../clock";
import { DAY, HOUR } from "../clock";
import { purgeChallenges } from "../renewal/pop";
import { purgeStaleCmpTransactions } from "../pki/issuers/cmp-store";
import type { Job } from "../jobs/scheduler";

/**
 * Deletes short-lived rows once they can no longer matter: used or expired challenges and captchas,
 * ended sessions, past rate-limit windows, idempotency records older than a day, finished unlock requests, CMP
 * transactions (RA mode) untouched for CMP_TRANSACTION_RETENTION_MS, invoice-address confirmation links a month past
 * their expiry.
 */
export async function purgeExpired(db: Db, clock: Clock): Promise<Record<string, number>> {
  const now = clock.now().getTime();
  const before = (ms: number) => new Date(now - ms);
  const [challenges, captchas, sessions, rateLimits, idempotency, unlocks, cmpTransactions, invoiceConfirmations] = [
    await purgeChallenges(db, clock),
    (await db.captcha.deleteMany({ where: { expiresAt: { lt: before(HOUR) } } })).count,
    (await db.session.deleteMany({ where: { expiresAt: { lt: before(0) } } })).count,
    (await db.rateLimit.deleteMany({ where: { resetAt: { lt: before(HOUR) } } })).count,
    (await db.idempotencyKey.deleteMany({ where: { createdAt: { lt: before(DAY) } } })).count,
    (await db.unlockRequest.deleteMany({ where: { expiresAt: { lt: before(30 * DAY) } } })).count,
    await purgeStaleCmpTransactions(db, clock),
    (await db.invoiceEmailConfirmation.deleteMany({ where: { expiresAt: { lt: before(30 * DAY) } } })).count,
  ];
  return { challenges, captchas, sessions, rateLimits, idempotency, unlocks, cmpTransactions, invoiceConfirmations };
}

export const housekeepingJob: Job = { name: "housekeeping.purge", everyMs: HOUR, run: purgeExpired };
