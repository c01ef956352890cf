import type { Prisma } from "../generated/prisma/client";
import type { Tx } from "../db";
import type { Clock } from "../clock";
import type { Locale } from "../errors/types";

export type MailTemplate =
  | "order_submitted"
  | "payment_received"
  | "certificate_issued"
  | "refund_made"
  | "revocation_confirmed"
  | "unlock_code"
  | "invoice_received"
  | "expiry_reminder";

export interface MailRequest {
  to: string;
  template: MailTemplate;
  locale?: Locale;
  data: Record<string, unknown>;
  orderId?: string;
  certificateId?: string;
}

/** Queues a mail in the same transaction as the change that causes it; the outbox worker delivers it. */
export async function enqueueMail(tx: Tx, mail: MailRequest, clock: Clock) {
  return tx.mailOutbox.create({
    data: {
      to: mail.to,
      template: mail.template,
      locale: mail.locale ?? "zh-CN",
      data: JSON.parse(JSON.stringify(mail.data)) as Prisma.InputJsonObject,
      orderId: mail.orderId,
      certificateId: mail.certificateId,
      nextAttemptAt: clock.now(),
    },
  });
}
