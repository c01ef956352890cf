import type { Db } from "../db";
import { DAY, HOUR, type Clock } from "../clock";
import type { CertType } from "../generated/prisma/client";
import type { Job } from "../jobs/scheduler";
import { reminderDays, windowDaysFor } from "../settings";
import { enqueueMail } from "../outbox";
import { enqueueSms } from "../sms";
import { formatDate } from "../messages/format";
import { unsubscribeToken } from "./unsubscribe";
import type { LinkKeys } from "../crypto/link-token";
import { withTx } from "../audit";

/** The smallest threshold the certificate has reached (time left ≤ threshold), or undefined if none yet. */
function thresholdReached(days: readonly number[], msLeft: number): number | undefined {
  return [...days].sort((a, b) => a - b).find((d) => msLeft <= d * DAY);
}

const PAGE = 500;

/**
 * Queues one `expiry_reminder` per certificate and threshold for active certificates that will expire within the
 * largest threshold, have an e-mail, have not opted out, and have no completed renewal (no successor certificate,
 * no installed order). The ReminderSent row is inserted first in the mail's transaction: of two instances racing,
 * only the one whose insert lands queues the mail.
 */
export async function sendExpiryReminders(
  db: Db,
  clock: Clock,
  keys: LinkKeys,
): Promise<{ checked: number; queued: number }> {
  const days = await reminderDays(db);
  const now = clock.now();
  const horizon = new Date(now.getTime() + Math.max(...days) * DAY);
  let checked = 0;
  let queued = 0;
  let cursor: string | undefined;
  const windows: Partial<Record<CertType, number>> = {};
  for (;;) {
    const page = await db.certificate.findMany({
      where: {
        status: "active",
        reminderOptOut: false,
        email: { not: null },
        notAfter: { gt: now, lte: horizon },
        next: { is: null },
        orders: { none: { state: "installed" } },
      },
      select: {
        id: true,
        serial: true,
        holderName: true,
        email: true,
        notAfter: true,
        certType: true,
        reminders: { select: { thresholdDays: true } },
        // the renewal that made this certificate: its handler may have asked for SMS as well
        issuedBy: { select: { notifySms: true, handlerMobileEnc: true, handlerAnonymisedAt: true } },
      },
      orderBy: { id: "asc" },
      take: PAGE,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    for (const cert of page) {
      checked++;
      const msLeft = cert.notAfter.getTime() - now.getTime();
      const threshold = thresholdReached(days, msLeft);
      // already reminded at this stage or a later one (the thresholds may have been changed since)
      if (threshold === undefined || !cert.email || cert.reminders.some((r) => r.thresholdDays <= threshold)) continue;
      const windowDays = (windows[cert.certType] ??= await windowDaysFor(db, cert));
      const sent = await withTx(db, async (tx) => {
        const { count } = await tx.reminderSent.createMany({
          data: [{ certificateId: cert.id, thresholdDays: threshold, sentAt: now }],
          skipDuplicates: true,
        });
        if (count === 0) return false;
        await enqueueMail(
          tx,
          {
            to: cert.email!,
            template: "expiry_reminder",
            certificateId: cert.id,
            data: {
              holderName: cert.holderName,
              serial: cert.serial,
              notAfter: cert.notAfter,
              opensAt: new Date(cert.notAfter.getTime() - windowDays * DAY),
              daysLeft: Math.ceil(msLeft / DAY),
              unsubscribeToken: unsubscribeToken(keys, cert.id),
            },
          },
          clock,
        );
        const by = cert.issuedBy;
        if (by?.notifySms && !by.handlerAnonymisedAt)
          await enqueueSms(
            tx,
            {
              toEnc: by.handlerMobileEnc,
              template: "reminder",
              params: { name: cert.holderName, date: formatDate(cert.notAfter) },
            },
            clock,
          );
        return true;
      });
      if (sent) queued++;
    }
    if (page.length < PAGE) break;
    cursor = page[page.length - 1].id;
  }
  return { checked, queued };
}

/** Checked hourly so a reminder leaves within an hour of its threshold; each is still sent only once per threshold. */
export const expiryReminderJob = (keys: LinkKeys): Job => ({
  name: "mail.expiry_reminders",
  everyMs: HOUR,
  leaseMs: 30 * 60_000,
  run: (db, clock) => sendExpiryReminders(db, clock, keys),
});
