import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { openDb, type OpenDb } from "@/lib/db/client";
import { withTx } from "@/lib/audit";
import { systemClock } from "@/lib/clock";
import { transitionOrder } from "@/lib/orders/machine";
import { announceOrderChange, watchOrder } from "@/lib/orders/changes";
import { createTestDb, onPostgres } from "@/tests/helpers/db";
import { insertOrder } from "../payments/harness";

/**
 * The payment page's wait (GET /api/renew/payment?wait=…) is woken by PostgreSQL's NOTIFY from the transaction that
 * moves the order: on PGlite in the default suite, on PostgreSQL (and across two "instances") in the postgres one.
 */

let open: OpenDb & { url?: string };
beforeAll(async () => {
  open = await createTestDb();
});
afterAll(() => open?.close());

const expire = (db: OpenDb, orderId: string) =>
  withTx(db.prisma, (tx) =>
    transitionOrder(tx, { orderId, to: "expired", actor: { type: "system", id: "test" }, clock: systemClock }),
  );

/** how long `p` took to settle, and its value */
async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await p;
  return { value, ms: performance.now() - t };
}

describe("waiting for an order to move", () => {
  it("wakes when another request's transaction moves the order out of awaiting_payment", async () => {
    const order = await insertOrder(open.prisma, systemClock);
    const watch = await watchOrder(open, order.id);
    try {
      const waiting = timed(watch.changed(10_000));
      setTimeout(() => void expire(open, order.id), 200);
      const { value, ms } = await waiting;
      expect(value).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(150);
      expect(ms).toBeLessThan(5_000);
      expect((await open.prisma.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("expired");
    } finally {
      watch.stop();
    }
  });

  it("a change between the start of the watch and the wait is not missed", async () => {
    const order = await insertOrder(open.prisma, systemClock);
    const watch = await watchOrder(open, order.id);
    await expire(open, order.id);
    // the notification arrives after the commit: give it the moment a request's read would take
    await new Promise((r) => setTimeout(r, 100));
    const { value, ms } = await timed(watch.changed(10_000));
    watch.stop();
    expect(value).toBe(true);
    expect(ms).toBeLessThan(50);
  });

  it("times out without a change; another order's change and a rolled-back one do not wake it", async () => {
    const order = await insertOrder(open.prisma, systemClock);
    const other = await insertOrder(open.prisma, systemClock);
    const watch = await watchOrder(open, order.id);
    try {
      const waiting = timed(watch.changed(1_500));
      await expire(open, other.id);
      await expect(
        withTx(open.prisma, async (tx) => {
          await announceOrderChange(tx, order.id);
          throw new Error("rolled back");
        }),
      ).rejects.toThrow("rolled back");
      const { value, ms } = await waiting;
      expect(value).toBe(false);
      expect(ms).toBeGreaterThanOrEqual(1_400);
      expect((await open.prisma.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe(
        "awaiting_payment",
      );
    } finally {
      watch.stop();
    }
  });

  it("answers at once when the request is gone (abort) or the wait is zero", async () => {
    const order = await insertOrder(open.prisma, systemClock);
    const watch = await watchOrder(open, order.id);
    const abort = new AbortController();
    const waiting = timed(watch.changed(10_000, abort.signal));
    setTimeout(() => abort.abort(), 100);
    const { value, ms } = await waiting;
    expect([value, ms < 2_000]).toEqual([false, true]);
    expect(await watch.changed(0)).toBe(false);
    watch.stop();
  });

  it("holds at most four requests per order and process; a fifth is answered at once", async () => {
    const order = await insertOrder(open.prisma, systemClock);
    const watches = await Promise.all(Array.from({ length: 5 }, () => watchOrder(open, order.id)));
    try {
      const fifth = await timed(watches[4].changed(10_000));
      expect([fifth.value, fifth.ms < 50]).toEqual([false, true]);
      const held = watches.slice(0, 4).map((w) => w.changed(10_000));
      await expire(open, order.id);
      expect(await Promise.all(held)).toEqual([true, true, true, true]);
    } finally {
      for (const w of watches) w.stop();
    }
  });

  it("a database that cannot notify never makes a request wait", async () => {
    const order = await insertOrder(open.prisma, systemClock);
    const mute: OpenDb = { prisma: open.prisma, kind: open.kind, close: async () => {} };
    const watch = await watchOrder(mute, order.id);
    const { value, ms } = await timed(watch.changed(10_000));
    watch.stop();
    expect([value, ms < 50]).toEqual([false, true]);
  });
});

describe.runIf(onPostgres)("on PostgreSQL, across instances", () => {
  let second: OpenDb;
  beforeAll(async () => {
    second = await openDb({ url: open.url! });
  });
  afterAll(() => second?.close());

  it("an instance's request is woken by the order moving on another instance", async () => {
    const order = await insertOrder(open.prisma, systemClock);
    const watch = await watchOrder(open, order.id);
    try {
      const waiting = watch.changed(10_000);
      await expire(second, order.id);
      expect(await waiting).toBe(true);
    } finally {
      watch.stop();
    }
  });

  it("the listening connection comes back after PostgreSQL drops it, and wakes requests again", async () => {
    const admin = new pg.Client({ connectionString: open.url });
    await admin.connect();
    try {
      const listeners = async (): Promise<number[]> =>
        (
          await admin.query(
            `SELECT pid FROM pg_stat_activity WHERE application_name = 'certrenew-listen' AND datname = current_database() AND query ILIKE 'LISTEN%'`,
          )
        ).rows.map((r: { pid: number }) => r.pid);
      const before = await listeners();
      expect(before.length).toBe(1); // this instance's (the other has not listened yet)
      await admin.query(`SELECT pg_terminate_backend($1)`, [before[0]]);
      // reconnected: a new listening backend (the first retry is after 0.5 s)
      const until = Date.now() + 10_000;
      let back = false;
      while (!back && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
        back = (await listeners()).some((pid) => !before.includes(pid));
      }
      expect(back).toBe(true);
      const order = await insertOrder(open.prisma, systemClock);
      const watch = await watchOrder(open, order.id);
      const waiting = watch.changed(10_000);
      await expire(second, order.id);
      expect(await waiting).toBe(true);
      watch.stop();
    } finally {
      await admin.end();
    }
  });
});
