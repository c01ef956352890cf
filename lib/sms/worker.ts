import type { Db } from "../db";
import type { Clock } from "../clock";
import { MINUTE, HOUR } from "../clock";
import type { Prisma } from "../generated/prisma/client";
import { decryptField, type FieldKeys } from "../crypto/field";
import { isDomainError } from "../errors";
import { hitRateLimit } from "../ratelimit";
import type { Job } from "../jobs/scheduler";
import { PER_NUMBER_LIMITS, templateCode, type SmsConfig, type SmsTemplate } from ".";
import { createSmsSender, type SmsSender } from "./client";

const MAX_ATTEMPTS = 5;
/** codes worth another try later; every other refusal (illegal number, template, signature) is final */
const LATER: Record<string, number> = {
  "isv.BUSINESS_LIMIT_CONTROL": HOUR,
  Throttling: MINUTE,
  "Throttling.User": MINUTE,
  ServiceUnavailable: MINUTE,
  InternalError: MINUTE,
  NETWORK: MINUTE,
};

export interface DeliveryReport {
  sent: number;
  failed: number;
  postponed: number;
}

/**
 * Sends what is due in the SMS outbox. Our own per-number limits come first (a number over them waits); the
 * provider's answer then decides: OK → sent (an unlock code's value is not kept), flow control or a passing
 * failure → later with back-off, anything else → failed with the provider's code. An unlock code is never sent
 * late: it would be useless by then.
 */
export async function deliverSms(
  db: Db,
  clock: Clock,
  c: SmsConfig & FieldKeys,
  send: SmsSender | null,
  batch = 20,
): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, failed: 0, postponed: 0 };
  if (!send) return report;
  const due = await db.smsOutbox.findMany({
    where: { state: "pending", nextAttemptAt: { lte: clock.now() } },
    orderBy: { createdAt: "asc" },
    take: batch,
  });
  for (const row of due) {
    const template = row.template as SmsTemplate;
    const phone = decryptField(c, row.toEnc);
    const later = async (code: string, ms: number) => {
      const attempts = row.attempts + 1;
      const final = attempts >= MAX_ATTEMPTS || template === "unlock_code";
      await db.smsOutbox.update({
        where: { id: row.id },
        data: {
          attempts,
          lastError: code,
          state: final ? "failed" : "pending",
          nextAttemptAt: new Date(clock.now().getTime() + ms * attempts),
        },
      });
      if (final) report.failed++;
      else report.postponed++;
    };
    try {
      for (const limit of PER_NUMBER_LIMITS)
        await hitRateLimit(db, `sms:${limit.name}:${phone}`, { max: limit.max, windowMs: limit.windowMs }, clock);
    } catch (e) {
      if (!isDomainError(e) || e.code !== "RATE_LIMITED") throw e;
      await later("RATE_LIMITED", Number(e.details.retryAfter ?? 60) * 1000);
      continue;
    }
    const r = await send({
      phone,
      signName: c.SMS_SIGN_NAME,
      templateCode: templateCode(c, template),
      params: row.params as Record<string, string>,
    });
    if (r.code === "OK") {
      await db.smsOutbox.update({
        where: { id: row.id },
        data: {
          state: "sent",
          attempts: row.attempts + 1,
          bizId: r.bizId ?? null,
          sentAt: clock.now(),
          lastError: null,
          ...(template === "unlock_code" ? { params: {} as Prisma.InputJsonValue } : {}),
        },
      });
      report.sent++;
    } else if (LATER[r.code] !== undefined) {
      await later(`${r.code}: ${r.message}`, LATER[r.code]);
    } else {
      await db.smsOutbox.update({
        where: { id: row.id },
        data: { state: "failed", attempts: row.attempts + 1, lastError: `${r.code}: ${r.message}` },
      });
      report.failed++;
    }
  }
  return report;
}

export function smsDeliveryJob(c: SmsConfig & FieldKeys): Job {
  const send = createSmsSender(c);
  return { name: "sms.deliver", everyMs: 5000, run: (db, clock) => deliverSms(db, clock, c, send) };
}
