import "@/tests/helpers/env";
import { beforeEach, describe, expect, test } from "vitest";
import { onPostgres } from "@/tests/helpers/db";
import { openDb } from "@/lib/db/client";
import { DAY, HOUR } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { DomainError } from "@/lib/errors";
import { deliverDue } from "@/lib/mail/worker";
import { sendExpiryReminders } from "@/lib/mail/reminders";
import { REMINDER_DAYS_KEY, ReminderDays } from "@/lib/settings";
import type { Tx } from "@/lib/db";
import { unsubscribe, unsubscribeTarget } from "@/lib/mail/unsubscribe";
import { useMailTestBed } from "./smtp";
import { insertCertificate, insertOrder } from "./fixtures";
import { getConfig } from "@/lib/config";

const ctx = useMailTestBed();

/** Writes the reminder thresholds straight into the settings table, as validated by the setting's own schema. */
async function setReminderDays(db: Tx, days: unknown, staffId: string): Promise<number[]> {
  const parsed = ReminderDays.safeParse(days);
  if (!parsed.success) throw new DomainError("MAIL_REMINDER_DAYS_INVALID");
  await db.setting.upsert({
    where: { key: REMINDER_DAYS_KEY },
    create: { key: REMINDER_DAYS_KEY, value: parsed.data, updatedBy: staffId },
    update: { value: parsed.data, updatedBy: staffId },
  });
  return parsed.data;
}
const T0 = new Date("2026-11-01T00:00:00Z");
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const holder = { type: "holder" as const, ip: "127.0.0.1", userAgent: "vitest" };

beforeEach(async () => {
  const p = ctx.db.prisma;
  await p.reminderSent.deleteMany();
  await p.mailOutbox.deleteMany();
  await p.setting.deleteMany();
  await p.renewalOrder.deleteMany();
  await p.certificate.deleteMany({ where: { previousId: { not: null } } });
  await p.certificate.deleteMany();
});

/** Runs the reminder job on day n (twice, as a second instance or a restart would), delivers, and returns the mails by serial. */
async function day(n: number, hourOffset = 9) {
  const clock = fixedClock(new Date(at(n).getTime() + hourOffset * HOUR));
  const first = await sendExpiryReminders(ctx.db.prisma, clock, getConfig());
  const again = await sendExpiryReminders(ctx.db.prisma, clock, getConfig());
  expect(again.queued).toBe(0);
  ctx.smtp.received = [];
  await deliverDue(ctx.db.prisma, {
    clock,
    origin: getConfig().publicOrigin,
    transport: ctx.smtp.transport(),
    batch: 100,
  });
  expect(ctx.smtp.received).toHaveLength(first.queued);
  return ctx.smtp.received.map((m) => ({ serial: /证书序列号: (\w+)/.exec(m.text)![1], subject: m.subject, mail: m }));
}

async function simulate(days: number) {
  const seen: Record<string, number[]> = {};
  for (let d = 0; d <= days; d++) for (const m of await day(d, 0)) (seen[m.serial] ??= []).push(d);
  return seen;
}

describe("the reminder job with a fixed clock", () => {
  test("sends each threshold once, on the right day, only to certificates without a completed renewal", async () => {
    const p = ctx.db.prisma;
    await insertCertificate(p, { serial: "a30", notAfter: at(30) });
    await insertCertificate(p, { serial: "b20", notAfter: new Date(at(20).getTime() + 12 * HOUR) });
    await insertCertificate(p, { serial: "i45", notAfter: at(45) });
    await insertCertificate(p, { serial: "optout", notAfter: at(10), reminderOptOut: true });
    await insertCertificate(p, { serial: "noemail", notAfter: at(10), email: null });
    await insertCertificate(p, { serial: "revoked", notAfter: at(10), status: "revoked" });
    const renewed = await insertCertificate(p, { serial: "renewed", notAfter: at(10) });
    await insertCertificate(p, { serial: "successor", notAfter: at(400), previousId: renewed.id });
    const installed = await insertCertificate(p, { serial: "installed", notAfter: at(10) });
    await insertOrder(p, installed.id, installed.serial, "installed");
    const open = await insertCertificate(p, { serial: "openorder", notAfter: at(5) });
    await insertOrder(p, open.id, open.serial, "awaiting_payment");

    const seen = await simulate(46);
    expect(seen).toEqual({
      a30: [0, 16, 23, 27, 29],
      b20: [0, 7, 14, 18, 20],
      i45: [15, 31, 38, 42, 44],
      openorder: [0, 2, 4],
    });
    expect(await p.reminderSent.count({ where: { certificate: { serial: "a30" } } })).toBe(5);
  });

  test("the mail names the days left and the window, and links to renewal and unsubscribe", async () => {
    await insertCertificate(ctx.db.prisma, { serial: "c7", notAfter: new Date("2026-11-08T09:38:33Z") });
    const [m] = await day(0);
    expect(m.subject).toBe("您的数字证书将于 8 天后到期，请及时在线更新");
    expect(m.mail.to).toEqual(["holder@example.cn"]);
    expect(m.mail.text).toContain("张*丰");
    expect(m.mail.text).not.toContain("张三丰");
    expect(m.mail.text).toContain("（2026-10-09 17:38:33 起至 2026-11-08 17:38:33 止）");
    expect(m.mail.text).toMatch(/: http:\/\/localhost:3000\/renew\n/);
    expect(m.mail.text).toMatch(/http:\/\/localhost:3000\/unsubscribe\/[\w.-]+/);
  });

  test("thresholds are an admin setting", async () => {
    await setReminderDays(ctx.db.prisma, [2, 10], "admin-1");
    await insertCertificate(ctx.db.prisma, { serial: "s30", notAfter: at(30) });
    expect(await simulate(31)).toEqual({ s30: [20, 28] });
    await expect(setReminderDays(ctx.db.prisma, [0, 5], "admin-1")).rejects.toMatchObject({
      code: "MAIL_REMINDER_DAYS_INVALID",
    });
    await expect(setReminderDays(ctx.db.prisma, [5, 5], "admin-1")).rejects.toBeInstanceOf(DomainError);
  });

  test(`two instances running the job at once queue each reminder once (${onPostgres ? "two PostgreSQL clients" : "concurrent PGlite callers"})`, async () => {
    for (let i = 0; i < 25; i++)
      await insertCertificate(ctx.db.prisma, { serial: `par${i}`, notAfter: at(3 + (i % 20)) });
    const second = ctx.db.url ? await openDb({ url: ctx.db.url }) : ctx.db;
    try {
      const clock = fixedClock(T0);
      const [a, b] = await Promise.all([
        sendExpiryReminders(ctx.db.prisma, clock, getConfig()),
        sendExpiryReminders(second.prisma, clock, getConfig()),
      ]);
      expect(a.queued + b.queued).toBe(25);
    } finally {
      if (second !== ctx.db) await second.close();
    }
    expect(await ctx.db.prisma.mailOutbox.count()).toBe(25);
    expect(await ctx.db.prisma.reminderSent.count()).toBe(25);
  });
});

describe("unsubscribe", () => {
  test("the signed link from the mail stops further reminders for that certificate only", async () => {
    await insertCertificate(ctx.db.prisma, { serial: "u30", notAfter: at(30) });
    await insertCertificate(ctx.db.prisma, { serial: "k30", notAfter: at(30) });
    const mails = await day(0, 0);
    expect(mails.map((m) => m.serial).sort()).toEqual(["k30", "u30"]);
    const link = /\/unsubscribe\/([\w.%-]+)/.exec(mails.find((m) => m.serial === "u30")!.mail.text)![1];
    const token = decodeURIComponent(link);

    expect(await unsubscribeTarget(ctx.db.prisma, getConfig(), token)).toEqual({ serial: "u30", optedOut: false });
    expect(await unsubscribe(ctx.db.prisma, getConfig(), token, holder, fixedClock(at(1)))).toEqual({ serial: "u30" });
    expect(await unsubscribe(ctx.db.prisma, getConfig(), token, holder, fixedClock(at(1)))).toEqual({ serial: "u30" });
    expect(await unsubscribeTarget(ctx.db.prisma, getConfig(), token)).toEqual({ serial: "u30", optedOut: true });
    const u30 = await ctx.db.prisma.certificate.findUniqueOrThrow({ where: { serial: "u30" } });
    expect(
      await ctx.db.prisma.auditEvent.count({ where: { action: "mail.reminders_opt_out", targetId: u30.id } }),
    ).toBe(1);

    expect((await day(16, 0)).map((m) => m.serial)).toEqual(["k30"]);
  });

  test("a forged or damaged token changes nothing", async () => {
    const a = await insertCertificate(ctx.db.prisma, { serial: "f1", notAfter: at(30) });
    const b = await insertCertificate(ctx.db.prisma, { serial: "f2", notAfter: at(30) });
    const [m] = (await day(0, 0)).filter((x) => x.serial === "f1");
    const token = decodeURIComponent(/\/unsubscribe\/([\w.%-]+)/.exec(m.mail.text)![1]);
    const sig = token.slice(token.lastIndexOf(".") + 1);
    for (const bad of [
      `${b.id}.${sig}`,
      `${a.id}.${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`,
      a.id,
      "",
      "x.y",
    ]) {
      await expect(unsubscribe(ctx.db.prisma, getConfig(), bad, holder, fixedClock(T0))).rejects.toMatchObject({
        code: "MAIL_UNSUBSCRIBE_INVALID",
      });
      await expect(unsubscribeTarget(ctx.db.prisma, getConfig(), bad)).rejects.toMatchObject({
        code: "MAIL_UNSUBSCRIBE_INVALID",
      });
    }
    expect(await ctx.db.prisma.certificate.count({ where: { reminderOptOut: true } })).toBe(0);
  });
});
