import type { Db } from "../db";
import type { Clock } from "../clock";
import { DAY, HOUR } from "../clock";
import type { OrderState } from "../generated/prisma/client";
import { appendAudit, withTx } from "../audit";
import { encryptField, type FieldKeys } from "../crypto/field";
import { handlerRetentionDays } from "../settings";
import type { Job } from "../jobs/scheduler";

/** Orders that will not change again: their handler data is only kept for the retention period. */
const ENDED: OrderState[] = ["installed", "cancelled", "expired", "refunded"];
const BATCH = 200;
export const ANONYMISED_NAME = "（已匿名）";
/** what the ID and mobile columns decrypt to afterwards: the views still decrypt and mask them, showing "*" */
export const ANONYMISED_SECRET = "*";

/**
 * Storage limitation (PIPL art. 19): once an order has been over for the admin's retention period
 * (`privacy.handlerRetentionDays`), its handler's name, ID number, mobile and e-mail are cleared, the invoice's
 * e-mail too, and the mails sent to that address lose their recipient. Each order gets an audit event; the
 * order, its amounts, states and certificates stay (they are the CA's records). Returns how many were cleared.
 */
export async function anonymiseEndedOrders(db: Db, clock: Clock, keys: FieldKeys): Promise<number> {
  const days = await handlerRetentionDays(db);
  const cutoff = new Date(clock.now().getTime() - days * DAY);
  const due = await db.renewalOrder.findMany({
    where: { state: { in: ENDED }, updatedAt: { lt: cutoff }, handlerAnonymisedAt: null },
    select: { id: true },
    orderBy: { updatedAt: "asc" },
    take: BATCH,
  });
  const blank = encryptField(keys, ANONYMISED_SECRET);
  for (const { id } of due) {
    await withTx(db, async (tx) => {
      const order = await tx.renewalOrder.findUniqueOrThrow({ where: { id } });
      if (order.handlerAnonymisedAt) return;
      await tx.renewalOrder.update({
        where: { id },
        data: {
          handlerName: ANONYMISED_NAME,
          handlerIdEnc: blank,
          handlerIdLast4: "",
          handlerMobileEnc: blank,
          handlerMobileLast4: "",
          handlerEmail: "",
          handlerAnonymisedAt: clock.now(),
        },
      });
      await tx.invoice.updateMany({ where: { orderId: id }, data: { email: "" } });
      await tx.invoiceEmailConfirmation.deleteMany({ where: { orderId: id } });
      if (order.handlerEmail)
        await tx.mailOutbox.updateMany({
          where: { to: order.handlerEmail, createdAt: { lt: cutoff } },
          data: { to: "" },
        });
      await appendAudit(
        tx,
        {
          actorType: "system",
          actorId: "privacy.anonymise",
          action: "order.handler_anonymised",
          targetType: "order",
          targetId: id,
          fromState: order.state,
          toState: order.state,
          data: { orderNo: order.orderNo, retentionDays: days },
        },
        clock,
      );
    });
  }
  return due.length;
}

export function anonymiseJob(keys: FieldKeys): Job {
  return { name: "privacy.anonymise", everyMs: 6 * HOUR, run: (db, clock) => anonymiseEndedOrders(db, clock, keys) };
}
