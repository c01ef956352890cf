import "../../helpers/env";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDb } from "../../helpers/db";
import type { OpenDb } from "@/lib/db";
import { DAY, HOUR } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { purgeExpired } from "@/lib/runtime/housekeeping";
import { acquireLease, releaseLease } from "@/lib/jobs/lease";
import { CMP_TRANSACTION_RETENTION_MS, dbCmpTransactionStore } from "@/lib/pki/issuers/cmp-store";

let db: OpenDb;
const clock = fixedClock("2026-11-25T12:00:00Z");
const at = (ms: number) => new Date(clock.now().getTime() + ms);
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

test("housekeeping deletes only rows that can no longer matter", async () => {
  await db.prisma.captcha.createMany({
    data: [
      { answerHash: "old", expiresAt: at(-2 * HOUR) },
      { answerHash: "live", expiresAt: at(HOUR) },
    ],
  });
  await db.prisma.session.createMany({
    data: [
      { id: "ended", kind: "holder", csrfToken: "x", expiresAt: at(-1000) },
      { id: "live", kind: "holder", csrfToken: "x", expiresAt: at(HOUR) },
    ],
  });
  await db.prisma.idempotencyKey.createMany({
    data: [
      { key: "old", requestHash: "h", status: 200, response: {}, createdAt: at(-2 * DAY) },
      { key: "new", requestHash: "h", status: 200, response: {}, createdAt: at(-HOUR) },
    ],
  });
  const purged = await purgeExpired(db.prisma, clock);
  expect(purged).toMatchObject({ captchas: 1, sessions: 1, idempotency: 1 });
  expect((await db.prisma.captcha.findMany()).map((c) => c.answerHash)).toEqual(["live"]);
  expect((await db.prisma.session.findMany()).map((s) => s.id)).toEqual(["live"]);
  expect((await db.prisma.idempotencyKey.findMany()).map((k) => k.key)).toEqual(["new"]);
});

test("housekeeping drops CMP transactions untouched for the retention period and keeps the ones still worked", async () => {
  await db.prisma.cmpTransaction.createMany({
    data: [
      {
        transactionId: "aa01",
        state: "{}",
        createdAt: at(-60 * DAY),
        updatedAt: at(-CMP_TRANSACTION_RETENTION_MS - 1),
      },
      // opened long ago but polled yesterday: the upstream job is still working it
      { transactionId: "aa02", state: "{}", createdAt: at(-60 * DAY), updatedAt: at(-DAY) },
    ],
  });
  const store = dbCmpTransactionStore(async () => db.prisma);
  await store.set("aa03", '{"kind":"waiting"}');
  const purged = await purgeExpired(db.prisma, clock);
  expect(purged.cmpTransactions).toBe(1);
  expect(await store.get("aa01")).toBeUndefined();
  expect(await store.get("aa02")).toBe("{}");
  expect(await store.get("aa03")).toBe('{"kind":"waiting"}');
});

test("a job lease is held by one instance at a time and taken over once it lapses", async () => {
  expect(await acquireLease(db.prisma, "test.job", 60_000, clock, "instance-a")).toBe(true);
  expect(await acquireLease(db.prisma, "test.job", 60_000, clock, "instance-b")).toBe(false);
  clock.advance(60_001);
  expect(await acquireLease(db.prisma, "test.job", 60_000, clock, "instance-b")).toBe(true);
  await releaseLease(db.prisma, "test.job", clock, { ok: true }, "instance-a");
  expect(await acquireLease(db.prisma, "test.job", 60_000, clock, "instance-a")).toBe(false);
  await releaseLease(db.prisma, "test.job", clock, { ok: true }, "instance-b");
  expect(await acquireLease(db.prisma, "test.job", 60_000, clock, "instance-a")).toBe(true);
});
