import type { Db } from "../db";
import { DAY, HOUR, type Clock } from "../clock";
import type { Job } from "../jobs/scheduler";
import { appendAudit, withTx } from "../audit";
import { log } from "../log";
import { enqueueMail } from "../outbox";
import { formatDateTime } from "../messages/format";
import { windowDaysFor } from "../settings";
import { alipayExec, type PaymentDeps } from "../payments/alipay/client";
import { settleBatchByQuery } from "./settle";

/**
 * Batches past their payment deadline: asked once more (a lost notification is settled), else the trade is closed
 * and the batch with it; its places are released, so the holders may pay themselves or be put in a new batch.
 */
export async function closeExpiredBatches(db: Db, pay: PaymentDeps, clock: Clock): Promise<number> {
  const due = await db.orgBatch.findMany({
    where: { state: "awaiting_payment", paymentDeadline: { lt: clock.now() } },
    take: 100,
  });
  let closed = 0;
  for (const stale of due) {
    try {
      const batch = await settleBatchByQuery(db, pay, stale, clock);
      if (batch.state !== "awaiting_payment") continue;
      await alipayExec(pay.alipay(), "alipay.trade.close", { out_trade_no: batch.batchNo });
      await withTx(db, async (tx) => {
        const { count } = await tx.orgBatch.updateMany({
          where: { id: batch.id, state: "awaiting_payment" },
          data: { state: "closed", updatedAt: clock.now() },
        });
        if (count !== 1) return;
        await tx.orgBatchItem.updateMany({
          where: { batchId: batch.id, state: "pending" },
          data: { state: "void", activeCertificateId: null },
        });
        await appendAudit(
          tx,
          {
            actorType: "system",
            actorId: "org-sweep",
            action: "org.batch.closed",
            targetType: "org_batch",
            targetId: batch.id,
            fromState: "awaiting_payment",
            toState: "closed",
            data: { batchNo: batch.batchNo },
          },
          clock,
        );
        closed++;
      });
    } catch (e) {
      log.warn({ err: e, batchNo: stale.batchNo }, "expired batch not closed yet");
    }
  }
  return closed;
}

const MAIL_LIST = 200;

/**
 * The organisation's contact gets one mail listing its holders that entered the renewal window since the last one
 * (one OrgReminderSent row per organisation and certificate, inserted in the mail's transaction: sent once).
 */
export async function sendOrgReminders(db: Db, clock: Clock): Promise<{ queued: number }> {
  const now = clock.now();
  let queued = 0;
  const orgs = await db.organisation.findMany({ select: { id: true, name: true, contactEmail: true, locale: true } });
  for (const org of orgs) {
    const certs = await db.certificate.findMany({
      where: {
        organisationId: org.id,
        usage: "signing",
        status: "active",
        next: { is: null },
        notAfter: { gt: now, lte: new Date(now.getTime() + 90 * DAY) },
      },
      orderBy: { notAfter: "asc" },
    });
    const done = new Set(
      (await db.orgReminderSent.findMany({ where: { organisationId: org.id }, select: { certificateId: true } })).map(
        (r) => r.certificateId,
      ),
    );
    const entering: typeof certs = [];
    for (const c of certs.filter((x) => !done.has(x.id))) {
      if (c.notAfter.getTime() - now.getTime() <= (await windowDaysFor(db, c)) * DAY) entering.push(c);
    }
    if (entering.length === 0) continue;
    const sent = await withTx(db, async (tx) => {
      const { count } = await tx.orgReminderSent.createMany({
        data: entering.map((c) => ({ organisationId: org.id, certificateId: c.id, sentAt: now })),
        skipDuplicates: true,
      });
      if (count !== entering.length) return false;
      await enqueueMail(
        tx,
        {
          to: org.contactEmail,
          template: "org_expiry_report",
          locale: org.locale === "en" ? "en" : "zh-CN",
          data: {
            organisationName: org.name,
            holderCount: String(entering.length),
            // the organisation sees its holders' names in its console too; the mail lists at most MAIL_LIST
            holders: entering
              .slice(0, MAIL_LIST)
              .map((c) => `${c.holderName} ${c.serial} ${formatDateTime(c.notAfter)}`),
          },
        },
        clock,
      );
      return true;
    });
    if (sent) queued++;
  }
  return { queued };
}

export const orgSweepJob = (pay: PaymentDeps): Job => ({
  name: "org.sweep",
  everyMs: 60_000,
  run: (db, clock) => closeExpiredBatches(db, pay, clock),
});

export const orgReminderJob: Job = {
  name: "org.expiry_reminders",
  everyMs: HOUR,
  leaseMs: 30 * 60_000,
  run: (db, clock) => sendOrgReminders(db, clock),
};
