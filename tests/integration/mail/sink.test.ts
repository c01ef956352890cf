import { useTestEnv } from "@/tests/helpers/env";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDb } from "@/tests/helpers/db";
import type { OpenDb } from "@/lib/db";
import { fixedClock } from "@/lib/dev/testing/clock";
import { getConfig } from "@/lib/config";
import { enqueueMail } from "@/lib/outbox";
import { createMailTransport } from "@/lib/runtime/mail";
import { getDevMail, listDevMails } from "@/lib/dev/mail-sink";
import { deliverDue } from "@/lib/mail/worker";
import { withTx } from "@/lib/audit";

let db: OpenDb;
beforeAll(async () => {
  useTestEnv({ DEMO_MODE: "1", SMTP_HOST: "" });
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

test("in demo mode without SMTP the mails land in the DevMail sink, readable for /dev/mail, each once", async () => {
  const transport = createMailTransport(getConfig(), db.prisma);
  expect(transport.kind).toBe("sink");
  const clock = fixedClock("2026-11-25T02:00:00Z");
  await withTx(db.prisma, (tx) =>
    enqueueMail(
      tx,
      {
        to: "h@example.cn",
        template: "unlock_code",
        data: { holderName: "张三丰", code: "777888", expiresAt: "2026-11-25T02:10:00Z" },
      },
      clock,
    ),
  );
  expect(await deliverDue(db.prisma, { clock, origin: getConfig().publicOrigin, transport })).toMatchObject({
    sent: 1,
  });

  const list = await listDevMails(db.prisma);
  expect(list).toHaveLength(1);
  const mail = await getDevMail(db.prisma, list[0].id);
  expect(mail).toMatchObject({ to: "h@example.cn", subject: "证书在线解锁验证码" });
  expect(mail!.text).toContain("777888");
  expect(mail!.html).toContain("777888");

  await transport.send({ messageId: mail!.messageId, to: "h@example.cn", subject: "again", text: "t", html: "h" });
  expect(await db.prisma.devMail.count()).toBe(1);
});
