import type { Db } from "../db";
import { Prisma } from "../generated/prisma/client";
import type { MailTransport } from "../mail/transport";

/** Demo mode: "delivering" stores the mail in DevMail for /dev/mail. The same Message-ID twice is stored once. */
export function devMailSink(db: Db, from: string): MailTransport {
  return {
    kind: "sink",
    from,
    async send(m) {
      try {
        await db.devMail.create({
          data: { messageId: m.messageId, from, to: m.to, subject: m.subject, text: m.text, html: m.html },
        });
      } catch (e) {
        if (!(e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002")) throw e;
      }
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
