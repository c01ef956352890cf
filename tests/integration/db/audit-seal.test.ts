import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb, onPostgres } from "@/tests/helpers/db";
import type { Db, OpenDb } from "@/lib/db";
import { fixedClock } from "@/lib/clock";
import { appendAudit, verifyAuditChain } from "@/lib/audit";

let open: OpenDb;
let db: Db;
const clock = fixedClock("2026-11-25T02:00:00Z");
const event = (action: string) => ({ actorType: "system" as const, action, targetType: "test", targetId: action });
const actions = async () => (await db.auditEvent.findMany({ orderBy: { seq: "asc" } })).map((e) => e.action);

beforeAll(async () => {
  open = await createTestDb();
  db = open.prisma;
});
afterAll(async () => {
  await open?.close();
});

describe("audit events are sealed at the end of their transaction", () => {
  test("events appended in one transaction are written in call order, after the transaction's own work", async () => {
    await db.$transaction(async (tx) => {
      await appendAudit(tx, event("first"), clock);
      await appendAudit(tx, event("second"), clock);
      // not written yet: the chain's lock is taken only when the callback is done
      expect(await tx.auditEvent.count({ where: { targetType: "test" } })).toBe(0);
    });
    expect(await actions()).toEqual(["first", "second"]);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 2 });
  });

  test("a transaction that fails writes none of its events", async () => {
    await expect(
      db.$transaction(async (tx) => {
        await appendAudit(tx, event("rolled-back"), clock);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await actions()).not.toContain("rolled-back");
  });

  test("outside a transaction an event is written at once, in its own transaction", async () => {
    await appendAudit(db, event("standalone"), clock);
    expect((await actions()).at(-1)).toBe("standalone");
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  // PGlite runs one transaction at a time, so only PostgreSQL can show two of them overlapping
  test.skipIf(!onPostgres)(
    "a transaction still working does not hold the chain's lock: another one appends and commits meanwhile",
    async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let appended!: () => void;
      const slowHasAppended = new Promise<void>((r) => (appended = r));
      const slow = db.$transaction(async (tx) => {
        await appendAudit(tx, event("slow"), clock);
        appended();
        await gate;
      });
      await slowHasAppended;
      // under a lock taken at the first event this would wait for `slow` until the timeout
      await db.$transaction((tx) => appendAudit(tx, event("quick"), clock), { maxWait: 2_000, timeout: 2_000 });
      release();
      await slow;
      expect((await actions()).slice(-2)).toEqual(["quick", "slow"]);
      expect((await verifyAuditChain(db)).ok).toBe(true);
    },
  );

  test("twenty transactions appending at once leave one unbroken chain", async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.$transaction(async (tx) => {
          await appendAudit(tx, event(`parallel-${i}-a`), clock);
          await appendAudit(tx, event(`parallel-${i}-b`), clock);
        }),
      ),
    );
    const all = await actions();
    for (let i = 0; i < 20; i++) expect(all.indexOf(`parallel-${i}-b`)).toBe(all.indexOf(`parallel-${i}-a`) + 1);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });
});
