import { randomUUID } from "node:crypto";
import type { Db } from "../db";
import { sqlRows } from "../db/lean";
import type { MailTransport } from "../mail/transport";

// every demo renewal stores two or three mails (lib/db/lean.ts)
const STORE = `INSERT INTO "DevMail" ("id", "messageId", "from", "to", "subject", "text", "html", "createdAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT ("messageId") DO NOTHING`;

/** Demo mode: "delivering" stores the mail in DevMail for /dev/mail. The same Message-ID twice is stored once. */
export function devMailSink(db: Db, from: string): MailTransport {
  return {
    kind: "sink",
    from,
    async send(m) {
      await sqlRows(db, STORE, [randomUUID(), m.messageId, from, m.to, m.subject, m.text, m.html, new Date()]);
      return { messageId: m.messageId };
    },
    close: () => undefined,
  };
}

export function listDevMails(db: Db, take = 200) {
  return db.devMail.findMany({
    orderBy: { createdAt: "desc" },
    take,
    select: { id: true, to: true, subject: true, createdAt: true },
  });
}

export function getDevMail(db: Db, id: string) {
  return db.devMail.findUnique({ where: { id } });
}
