import { useTestEnv } from "../lib/dev/testing/env";
import { createTestDb } from "../lib/dev/testing/db";
import { SmtpSink } from "../lib/dev/testing/smtp-sink";
import { insertCertificate } from "../lib/dev/testing/fixtures";
import { DAY } from "../lib/clock";
import { fixedClock } from "../lib/dev/testing/clock";
import { enqueueMail } from "../lib/outbox";
import { prepareMailData } from "../lib/outbox/mail-data";
import { renderMail } from "../lib/mail/templates";
import { deliverDue } from "../lib/mail/worker";
import { sendExpiryReminders } from "../lib/mail/reminders";
import { withTx } from "../lib/audit";
import { getConfig } from "../lib/config";

/**
 * `npx tsx bench/mail.ts` (PGlite in memory) or with DATABASE_URL (a scratch PostgreSQL database):
 * template rendering, outbox delivery over real SMTP on loopback (one worker and two at once), and the
 * reminder scan over many certificates.
 */
useTestEnv();
const open = await createTestDb();
const db = open.prisma;
const smtp = await new SmtpSink().start();
const clock = fixedClock("2026-11-25T02:00:00Z");
const rate = (n: number, ms: number) => `${Math.round((n * 1000) / ms)}/s`;

const data = prepareMailData("order_submitted", {
  orderNo: "R1",
  holderName: "张三丰",
  handlerName: "李四",
  handlerMobile: "13812345678",
  amountFen: 10000,
  years: 1,
  newNotAfter: "2027-01-01T00:00:00Z",
});
let t = performance.now();
for (let i = 0; i < 5000; i++) renderMail("order_submitted", "zh-CN", data, "https://renew.example.cn");
console.log(`renderMail (HTML + text): ${rate(5000, performance.now() - t)}`);

async function fill(n: number) {
  await withTx(
    db,
    async (tx) => {
      for (let i = 0; i < n; i++)
        await enqueueMail(
          tx,
          {
            to: `h${i}@example.cn`,
            template: "payment_received",
            data: { orderNo: `R${i}`, amountFen: 5000, paidAt: clock.now() },
          },
          clock,
        );
    },
    { timeout: 120_000 },
  );
}

async function drain(owner: string) {
  for (;;)
    if (
      (await deliverDue(db, { clock, origin: getConfig().publicOrigin, transport: smtp.transport(), owner, batch: 20 }))
        .claimed === 0
    )
      return;
}

const N = 300;
await fill(N);
t = performance.now();
await drain("w1");
console.log(`deliverDue over SMTP, 1 worker (×${N}): ${rate(N, performance.now() - t)}`);
await fill(N);
t = performance.now();
await Promise.all([drain("w1"), drain("w2")]);
console.log(
  `deliverDue over SMTP, 2 workers (×${N}): ${rate(N, performance.now() - t)}; received ${smtp.received.length} of ${2 * N}`,
);

const C = 3000;
for (let i = 0; i < C; i++)
  await insertCertificate(db, {
    holderName: "张三丰",
    certType: "personal",
    email: "holder@example.cn",
    notAfter: new Date(clock.now().getTime() + (1 + (i % 60)) * DAY),
  });
t = performance.now();
const first = await sendExpiryReminders(db, clock, getConfig());
console.log(
  `sendExpiryReminders over ${C} certificates, first run: ${(performance.now() - t).toFixed(0)} ms, queued ${first.queued}`,
);
t = performance.now();
const again = await sendExpiryReminders(db, clock, getConfig());
console.log(`sendExpiryReminders, same day again: ${(performance.now() - t).toFixed(0)} ms, queued ${again.queued}`);

await smtp.stop();
await open.close();
process.exit(0);
