import { z } from "zod";
import { randomUUID } from "node:crypto";
import { insertRow, type RowData, type Sql } from "../db/lean";
import type { Clock } from "../clock";
import type { Locale } from "../errors/types";
import { prepareMailData, type MailData, type MailTemplate } from "./mail-data";

export type { MailTemplate, MailData } from "./mail-data";

/** One request per template, so `data` is checked against the template at compile time too. */
export type MailRequest<T extends MailTemplate = MailTemplate> = T extends MailTemplate
  ? {
      to: string;
      template: T;
      locale?: Locale;
      data: MailData<T>;
      orderId?: string;
      certificateId?: string;
    }
  : never;

const Recipient = z.email().max(254);

/**
 * Queues a mail in the same transaction as the change that causes it; the outbox worker delivers it.
 * The data is validated against the template and personal fields are masked before the row is written.
 */
export async function enqueueMail<T extends MailTemplate>(tx: Sql, mail: MailRequest<T>, clock: Clock) {
  const data = prepareMailData(mail.template, mail.data as Record<string, unknown>);
  return insertRow(tx, "MailOutbox", {
    id: randomUUID(),
    to: Recipient.parse(mail.to),
    template: mail.template,
    locale: mail.locale ?? "zh-CN",
    data: data as RowData<"MailOutbox">["data"],
    orderId: mail.orderId,
    certificateId: mail.certificateId,
    nextAttemptAt: clock.now(),
    createdAt: new Date(),
  });
}
