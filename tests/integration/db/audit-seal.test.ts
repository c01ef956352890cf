import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb, onPostgres } from "@/tests/helpers/db";
import type { Db } from "@/lib/db";
import { openDb } from "@/lib/db/client";
import { fixedClock } from "@/lib/dev/testing/clock";
import { appendAudit, appendAuditNow, verifyAuditChain, withTx } from "@/lib/audit";
import { sealedAndWaiting as sealedAndWaitingOn } from "@/tests/helpers/audit-lanes";

let open: Awaited<ReturnType<typeof createTestDb>>;
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
    await withTx(db, async (tx) => {
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
      withTx(db, async (tx) => {
        await appendAudit(tx, event("rolled-back"), clock);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await actions()).not.toContain("rolled-back");
  });

  test("a transaction not opened by withTx cannot append an audit event: it throws and writes nothing", async () => {
    await expect(db.$transaction((tx) => appendAudit(tx, event("unsealed"), clock))).rejects.toThrow(/withTx/);
    await expect(db.$transaction((tx) => appendAuditNow(tx, event("unsealed-now"), clock))).rejects.toThrow(/withTx/);
    await expect(
      db.$transaction(async (tx) => {
        await tx.setting.create({ data: { key: "audit-seal.test", value: 1 } });
        await appendAudit(tx, event("unsealed-with-work"), clock);
      }),
    ).rejects.toThrow(/withTx/);
    expect(await db.setting.findUnique({ where: { key: "audit-seal.test" } })).toBeNull();
    const all = await actions();
    for (const a of ["unsealed", "unsealed-now", "unsealed-with-work"]) expect(all).not.toContain(a);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  test("withTx keeps the client's transaction options unless given its own", async () => {
    // a transaction longer than Prisma's 5 s default timeout would fail without the client's 30 s
    const slow = withTx(db, async (tx) => {
      await new Promise((r) => setTimeout(r, 5_500));
      await appendAudit(tx, event("long"), clock);
    });
    await expect(slow).resolves.toBeUndefined();
    await expect(
      withTx(
        db,
        async (tx) => {
          await new Promise((r) => setTimeout(r, 300));
          await appendAudit(tx, event("too-long"), clock);
        },
        { timeout: 100 },
      ),
    ).rejects.toThrow();
    const all = await actions();
    expect(all).toContain("long");
    expect(all).not.toContain("too-long");
  }, 15_000);

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
      const slow = withTx(db, async (tx) => {
        await appendAudit(tx, event("slow"), clock);
        appended();
        await gate;
      });
      await slowHasAppended;
      // under a lock taken at the first event this would wait for `slow` until the timeout
      await withTx(db, (tx) => appendAudit(tx, event("quick"), clock), { maxWait: 2_000, timeout: 2_000 });
      release();
      await slow;
      expect((await actions()).slice(-2)).toEqual(["quick", "slow"]);
      expect((await verifyAuditChain(db)).ok).toBe(true);
    },
  );

  test("twenty transactions appending at once leave one unbroken chain", async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withTx(db, async (tx) => {
          await appendAudit(tx, event(`parallel-${i}-a`), clock);
          await appendAudit(tx, event(`parallel-${i}-b`), clock);
        }),
      ),
    );
    const all = await db.auditEvent.findMany({ where: { action: { startsWith: "parallel-" } } });
    const byAction = new Map(all.map((e) => [e.action, e]));
    for (let i = 0; i < 20; i++) {
      const [a, b] = [byAction.get(`parallel-${i}-a`)!, byAction.get(`parallel-${i}-b`)!];
      // one transaction's events follow each other in its lane's chain
      expect([b.lane, b.prevHash]).toEqual([a.lane, a.hash]);
    }
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });
});

// perf3 (#22): the chain in lanes; only PostgreSQL runs transactions side by side
describe.skipIf(!onPostgres)("the chain's lanes", () => {
  const sealedAndWaiting = (action: string) => sealedAndWaitingOn(db, event(action), clock);

  test("an appender between sealing and COMMIT does not hold back another: it seals in the next free lane", async () => {
    const first = await sealedAndWaiting("lane-holder");
    await withTx(db, (tx) => appendAudit(tx, event("lane-other"), clock), { maxWait: 2_000, timeout: 2_000 });
    first.release();
    await first.done;
    const [holder, other] = await Promise.all(
      ["lane-holder", "lane-other"].map((action) => db.auditEvent.findFirstOrThrow({ where: { action } })),
    );
    expect(other.lane).not.toBe(holder.lane);
    expect(other.seq).toBeGreaterThan(holder.seq);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  test("the verifier waits for an event still in flight below the newest one instead of calling it deleted", async () => {
    const first = await sealedAndWaiting("in-flight-low");
    await withTx(db, (tx) => appendAudit(tx, event("committed-high"), clock));
    let verified = false;
    const check = verifyAuditChain(db).then((r) => ((verified = true), r));
    await new Promise((r) => setTimeout(r, 300));
    expect(verified).toBe(false);
    first.release();
    await first.done;
    const r = await check;
    expect(r).toMatchObject({ ok: true });
    expect(r.head?.seq).toBeGreaterThan(first.seq);
  });

  test("an event removed from the middle of a lane other than the first is reported as deleted", async () => {
    const first = await sealedAndWaiting("lane-a");
    // three transactions in a row while lane 1 (or whichever the holder has) is held: one lane, one chain
    for (const i of [0, 1, 2]) await withTx(db, (tx) => appendAudit(tx, event(`lane-b-${i}`), clock));
    first.release();
    await first.done;
    const lane = await db.auditEvent.findMany({
      where: { action: { startsWith: "lane-b-" } },
      orderBy: { seq: "asc" },
    });
    expect(new Set(lane.map((e) => e.lane)).size).toBe(1);
    expect(lane[0].lane).not.toBe((await db.auditEvent.findFirstOrThrow({ where: { action: "lane-a" } })).lane);
    await db.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "seq" = ${lane[1].seq}`);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, problem: "deleted", brokenAt: lane[2].seq });
  });

  // a process remembers the lane it committed last and seals the next transaction there in one statement
  // (lib/audit LaneCache). Clients of their own stand for portal instances (each remembers its own lanes). The chain
  // is checked link by link: the test above broke the whole chain's verification on purpose.
  test("transactions in a row seal in the lane the process wrote last, after its committed head", async () => {
    for (const i of [0, 1, 2]) await withTx(db, (tx) => appendAudit(tx, event(`remembered-${i}`), clock));
    const rows = await db.auditEvent.findMany({
      where: { action: { startsWith: "remembered-" } },
      orderBy: { seq: "asc" },
    });
    expect(new Set(rows.map((e) => e.lane)).size).toBe(1);
    expect(rows[1].prevHash).toBe(rows[0].hash);
    expect(rows[2].prevHash).toBe(rows[1].hash);
  });

  test("a remembered lane another instance wrote since, or holds now, is left for a free one: no fork, no wait", async () => {
    const [one, two] = await Promise.all([openDb({ url: open.url! }), openDb({ url: open.url! })]);
    const row = (action: string) => db.auditEvent.findFirstOrThrow({ where: { action } });
    try {
      // both start looking at the same free lane (one process, one rotation)
      await withTx(one.prisma, (tx) => appendAudit(tx, event("one-a"), clock));
      await withTx(two.prisma, (tx) => appendAudit(tx, event("two-b"), clock));
      const [a, b] = [await row("one-a"), await row("two-b")];
      expect([b.lane, b.prevHash]).toEqual([a.lane, a.hash]);
      // `one` remembers the lane at a's head: it is at b's now
      await withTx(one.prisma, (tx) => appendAudit(tx, event("one-c"), clock));
      const c = await row("one-c");
      expect([c.lane, c.prevHash]).toEqual([a.lane, b.hash]);

      // `two` holds that lane between sealing and COMMIT; `one`, which remembers it at c's head, does not wait
      const holder = await sealedAndWaitingOn(two.prisma, event("two-held"), clock);
      await withTx(one.prisma, (tx) => appendAudit(tx, event("one-d"), clock), { maxWait: 2_000, timeout: 2_000 });
      holder.release();
      await holder.done;
      const [held, d] = [await row("two-held"), await row("one-d")];
      expect([held.lane, held.prevHash]).toEqual([a.lane, c.hash]);
      expect(d.lane).not.toBe(a.lane);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
