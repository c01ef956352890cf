import type { Db } from "../db";
import type { Clock } from "../clock";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import { retryFailedMail } from "../mail/worker";

/**
 * Staff retry a failed mail (the dashboard's list, the order page): the same outbox row gets a fresh set of
 * attempts and goes out with the next delivery run. MAIL_NOT_FAILED for a mail that has not failed; audited on
 * the mail's order if it has one.
 */
export async function retryMail(db: Db, args: { mailId: string; actor: Actor; clock: Clock }): Promise<void> {
  await withTx(db, async (tx) => {
    const mail = await tx.mailOutbox.findUnique({
      where: { id: args.mailId },
      select: { id: true, template: true, attempts: true, lastError: true, orderId: true, certificateId: true },
    });
    if (!mail) throw new DomainError("STAFF_MAIL_NOT_FOUND");
    await retryFailedMail(tx, mail.id, args.clock);
    await appendAudit(
      tx,
      {
        ...actorFields(args.actor),
        action: "mail.retried",
        // an order's mail shows in the order's timeline; a reminder (no order) is its own target
        targetType: mail.orderId ? "order" : "mail",
        targetId: mail.orderId ?? mail.id,
        data: {
          mailId: mail.id,
          template: mail.template,
          attempts: mail.attempts,
          lastError: mail.lastError,
          certificateId: mail.certificateId,
        },
      },
      args.clock,
    );
  });
}
