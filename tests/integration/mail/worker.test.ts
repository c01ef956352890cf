import "@/tests/helpers/env";
import { beforeEach, expect, test } from "vitest";
import { onPostgres } from "@/tests/helpers/db";
import { openDb, type OpenDb } from "@/lib/db/client";
import { MINUTE, type Clock } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { enqueueMail } from "@/lib/outbox";
import { backoffMs, deliverDue, listFailedMails, MAX_ATTEMPTS, retryFailedMail } from "@/lib/mail/worker";
import { useMailTestBed } from "./smtp";
import { withTx } from "@/lib/audit";
import { getConfig } from "@/lib/config";

const ctx = useMailTestBed();

beforeEach(async () => {
  await ctx.db.prisma.mailOutbox.deleteMany();
});

async function enqueue(n: number, clock: Clock) {
  await withTx(ctx.db.prisma, async (tx) => {
    for (let i = 0; i < n; i++) {
      await enqueueMail(
        tx,
        {
          to: `h${i}@example.cn`,
          template: "payment_received",
          data: { orderNo: `R${String(i).padStart(4, "0")}`, amountFen: 5000, paidAt: clock.now() },
        },
        clock,
      );
    }
  });
}

test("SMTP down: every mail is retried later with back-off, then delivered once, nothing lost or doubled", async () => {
  const clock = fixedClock("2026-11-25T02:00:00Z");
  await enqueue(3, clock);
  const port = ctx.smtp.port;
  await ctx.smtp.stop();

  const down = await deliverDue(ctx.db.prisma, {
    clock,
    origin: getConfig().publicOrigin,
    transport: ctx.smtp.transport(),
  });
  expect(down).toMatchObject({ claimed: 3, sent: 0, retried: 3 });
  const rows = await ctx.db.prisma.mailOutbox.findMany();
  for (const r of rows) {
    expect(r).toMatchObject({ state: "pending", attempts: 1, leaseUntil: null });
    expect(r.nextAttemptAt.getTime()).toBe(clock.now().getTime() + MINUTE);
    expect(r.lastError).toMatch(/ECONNREFUSED/);
  }
  expect(
    await deliverDue(ctx.db.prisma, { clock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() }),
  ).toMatchObject({ claimed: 0 });

  await ctx.smtp.start(port);
  expect(
    await deliverDue(ctx.db.prisma, { clock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() }),
  ).toMatchObject({ claimed: 0 });
  clock.advance(MINUTE);
  expect(
    await deliverDue(ctx.db.prisma, { clock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() }),
  ).toMatchObject({
    claimed: 3,
    sent: 3,
  });
  expect(
    await deliverDue(ctx.db.prisma, { clock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() }),
  ).toMatchObject({ claimed: 0 });

  expect(ctx.smtp.received.map((m) => m.to[0]).sort()).toEqual(["h0@example.cn", "h1@example.cn", "h2@example.cn"]);
  const sent = await ctx.db.prisma.mailOutbox.findMany();
  expect(
    sent.every(
      (r) => r.state === "sent" && r.attempts === 2 && r.messageId && r.sentAt?.getTime() === clock.now().getTime(),
    ),
  ).toBe(true);
});

test("a temporary SMTP refusal (451) is retried; a permanent one (550) fails at once, shows in the helpdesk list and can be resent", async () => {
  const clock = fixedClock("2026-11-25T02:00:00Z");
  await enqueue(1, clock);
  ctx.smtp.reject = { code: 451, message: "try again later" };
  expect(
    await deliverDue(ctx.db.prisma, { clock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() }),
  ).toMatchObject({ retried: 1 });
  clock.advance(backoffMs(1));
  ctx.smtp.reject = { code: 550, message: "mailbox unavailable" };
  expect(
    await deliverDue(ctx.db.prisma, { clock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() }),
  ).toMatchObject({ failed: 1 });

  const failed = await listFailedMails(ctx.db.prisma);
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ to: "h0@example.cn", template: "payment_received", attempts: 2 });
  expect(failed[0].lastError).toMatch(/mailbox unavailable/);
  clock.advance(24 * 60 * MINUTE);
  expect(
    await deliverDue(ctx.db.prisma, { clock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() }),
  ).toMatchObject({ claimed: 0 });

  ctx.smtp.reject = undefined;
  await retryFailedMail(ctx.db.prisma, failed[0].id, clock);
  await expect(retryFailedMail(ctx.db.prisma, failed[0].id, clock)).rejects.toMatchObject({ code: "MAIL_NOT_FAILED" });
  expect(
    await deliverDue(ctx.db.prisma, { clock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() }),
  ).toMatchObject({ sent: 1 });
  expect(ctx.smtp.received).toHaveLength(1);
});

test(`a mail that keeps failing gives up after ${MAX_ATTEMPTS} attempts, waiting longer each time`, async () => {
  const clock = fixedClock("2026-11-25T02:00:00Z");
  await enqueue(1, clock);
  ctx.smtp.reject = { code: 421, message: "service not available" };
  const waits: number[] = [];
  for (let i = 1; i <= MAX_ATTEMPTS; i++) {
    const r = await deliverDue(ctx.db.prisma, {
      clock,
      origin: getConfig().publicOrigin,
      transport: ctx.smtp.transport(),
    });
    expect(r.claimed).toBe(1);
    const row = await ctx.db.prisma.mailOutbox.findFirstOrThrow();
    if (i < MAX_ATTEMPTS) {
      expect(row.state).toBe("pending");
      waits.push(row.nextAttemptAt.getTime() - clock.now().getTime());
      clock.set(row.nextAttemptAt);
    } else expect(row).toMatchObject({ state: "failed", attempts: MAX_ATTEMPTS });
  }
  expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64].map((m) => m * MINUTE));
  expect(ctx.smtp.received).toHaveLength(0);
});

test("a row leased by a worker that died is left alone until its lease runs out, then delivered once", async () => {
  const clock = fixedClock("2026-11-25T02:00:00Z");
  await enqueue(1, clock);
  await ctx.db.prisma.mailOutbox.updateMany({
    data: { leaseOwner: "dead-worker", leaseUntil: new Date(clock.now().getTime() + 5 * MINUTE), attempts: 1 },
  });
  expect(
    await deliverDue(ctx.db.prisma, { clock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() }),
  ).toMatchObject({ claimed: 0 });
  clock.advance(5 * MINUTE + 1000);
  expect(
    await deliverDue(ctx.db.prisma, { clock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() }),
  ).toMatchObject({
    claimed: 1,
    sent: 1,
  });
  expect(ctx.smtp.received).toHaveLength(1);
});

test(`two workers on the same database deliver each mail exactly once (${onPostgres ? "two PostgreSQL clients" : "two concurrent PGlite callers"})`, async () => {
  const clock = fixedClock("2026-11-25T02:00:00Z");
  const n = 60;
  await enqueue(n, clock);
  const second = ctx.db.url ? await openDb({ url: ctx.db.url }) : ctx.db;
  try {
    const worker = async (client: OpenDb, owner: string) => {
      let sent = 0;
      for (;;) {
        const r = await deliverDue(client.prisma, {
          clock,
          origin: getConfig().publicOrigin,
          transport: ctx.smtp.transport(),
          owner,
          batch: 4,
        });
        sent += r.sent;
        if (r.claimed === 0) return sent;
      }
    };
    const [a, b] = await Promise.all([worker(ctx.db, "worker-a"), worker(second, "worker-b")]);
    expect(a + b).toBe(n);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
  } finally {
    if (second !== ctx.db) await second.close();
  }
  expect(ctx.smtp.received).toHaveLength(n);
  expect(new Set(ctx.smtp.received.map((m) => m.messageId)).size).toBe(n);
  expect(new Set(ctx.smtp.received.map((m) => m.subject)).size).toBe(n);
  const rows = await ctx.db.prisma.mailOutbox.findMany();
  expect(rows.every((r) => r.state === "sent" && r.attempts === 1)).toBe(true);
  expect(new Set(rows.map((r) => r.leaseOwner))).toEqual(new Set(["worker-a", "worker-b"]));
});
