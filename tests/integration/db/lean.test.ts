import "../../helpers/env";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createTestDb } from "../../helpers/db";
import type { OpenDb } from "@/lib/db";
import { leanOf, selectRows, sqlRows, uniqueRow } from "@/lib/db/lean";
import { ensureDefaultFeeTiers } from "@/lib/fees/tiers";
import { draftOrder, insertCertificate } from "../../helpers/orders";
import type { Session } from "@/lib/generated/prisma/client";
import { createSession, loadSession } from "@/lib/session";
import { withIdempotency } from "@/lib/http/idempotency";
import { hitRateLimits } from "@/lib/ratelimit";
import { systemClock } from "@/lib/clock";

/**
 * lib/db/lean.ts on this suite's database (PGlite, and PostgreSQL when DATABASE_URL is set): the statements it runs
 * give the rows Prisma gives, Dates stay the same instant whatever the process's time zone, and a transaction's
 * client never takes the lean path.
 */

let db: OpenDb;
const zone = process.env.TZ;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});
afterEach(() => {
  // Node applies a changed TZ at once; every test leaves it as it found it
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe("lean statements", () => {
  test("only the process client has a lean runner; a transaction's client goes through Prisma", async () => {
    expect(leanOf(db.prisma)).toBeDefined();
    await db.prisma.$transaction(async (tx) => {
      expect(leanOf(tx)).toBeUndefined();
    });
  });

  test("a session read the lean way is the row Prisma reads, far from UTC too", async () => {
    process.env.TZ = "Asia/Shanghai";
    expect(new Date(2026, 0, 1).getTimezoneOffset()).toBe(-480);
    const { token, session } = await createSession(
      db.prisma,
      { kind: "holder", certificateId: "cert-lean", ip: "203.0.113.9", data: { invoiceSkipped: ["o1"], n: 2 } },
      systemClock,
    );
    const lean = await loadSession(db.prisma, "holder", token, systemClock);
    const viaPrisma = await db.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(lean).toEqual(viaPrisma);
    expect(lean?.createdAt.toISOString()).toBe(session.createdAt.toISOString());
    // and the same statement inside a transaction, through Prisma's raw query
    const inTx = await db.prisma.$transaction((tx) => loadSession(tx, "holder", token, systemClock));
    expect(inTx).toEqual(viaPrisma);
    // a staff cookie is not a holder's session
    expect(await loadSession(db.prisma, "staff", token, systemClock)).toBeNull();
  });

  test("a Date written the lean way is the instant Prisma reads back (New York)", async () => {
    process.env.TZ = "America/New_York";
    const before = Date.now();
    await withIdempotency(db.prisma, `lean:${before}`, { a: [1, "二"] }, async () => ({
      status: 201,
      body: [{ ok: true }, "文字"],
    }));
    const row = await db.prisma.idempotencyKey.findUniqueOrThrow({ where: { key: `lean:${before}` } });
    expect(row.createdAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(row.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
    // the answer is stored as JSON (an array stays an array, not a PostgreSQL array literal)
    expect(row).toMatchObject({ status: 201, response: [{ ok: true }, "文字"] });
    const again = await withIdempotency(db.prisma, `lean:${before}`, { a: [1, "二"] }, async () => {
      throw new Error("a repeat must not run again");
    });
    expect(again).toEqual({ status: 201, body: [{ ok: true }, "文字"] });
  });

  test("a failed request frees its key on either path", async () => {
    const fail = () =>
      withIdempotency(db.prisma, "lean:fails", {}, async () => {
        throw new Error("boom");
      });
    await expect(fail()).rejects.toThrow("boom");
    expect(await db.prisma.idempotencyKey.findUnique({ where: { key: "lean:fails" } })).toBeNull();
  });

  test("rate-limit counts through both paths share one row and its window", async () => {
    process.env.TZ = "Pacific/Kiritimati"; // UTC+14
    const limit = { max: 3, windowMs: 60_000 };
    const hit = (on: Parameters<typeof hitRateLimits>[0]) =>
      hitRateLimits(
        on,
        [
          { key: "lean:a", limit },
          { key: "lean:b", limit },
        ],
        systemClock,
      );
    const first = await hit(db.prisma);
    const second = await db.prisma.$transaction((tx) => hit(tx));
    expect(first.map((c) => c.count)).toEqual([1, 1]);
    expect(second.map((c) => c.count)).toEqual([2, 2]);
    expect(second[0].resetAt.getTime()).toBe(first[0].resetAt.getTime());
    const wait = first[0].resetAt.getTime() - Date.now();
    expect(wait).toBeGreaterThan(50_000);
    expect(wait).toBeLessThanOrEqual(60_000);
    await hit(db.prisma);
    await expect(hit(db.prisma)).rejects.toMatchObject({ code: "RATE_LIMITED" });
  });

  test("sqlRows gives the same rows on the process client and in a transaction", async () => {
    const sql = `SELECT "id", "kind"::text AS "kind", "expiresAt", "data" FROM "Session" WHERE "certificateId" = $1`;
    const lean = await sqlRows<Pick<Session, "id" | "kind" | "expiresAt" | "data">>(db.prisma, sql, ["cert-lean"]);
    const inTx = await db.prisma.$transaction((tx) => sqlRows(tx, sql, ["cert-lean"]));
    expect(lean).toHaveLength(1);
    expect(lean[0].expiresAt).toBeInstanceOf(Date);
    expect(inTx).toEqual(lean);
  });

  test("an order and its certificate read the lean way are the rows findUnique gives, bytes and enums too", async () => {
    process.env.TZ = "Asia/Kolkata";
    await ensureDefaultFeeTiers(db.prisma, systemClock);
    const now = Date.now();
    const clock = { now: () => new Date(now) };
    const cert = await insertCertificate(db.prisma, {
      notBefore: new Date(now - 300 * 86_400_000),
      notAfter: new Date(now + 10 * 86_400_000),
      chainDer: Buffer.from([0, 1, 2, 255]),
      email: "holder@example.cn",
    });
    const order = await draftOrder(db.prisma, cert, clock);
    await db.prisma.renewalOrder.update({ where: { id: order.id }, data: { csrDer: Buffer.from("csr") } });

    const certificate = await db.prisma.certificate.findUniqueOrThrow({ where: { id: cert.id } });
    const viaPrisma = await db.prisma.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
    const same = (a: object | null, b: object) => {
      expect(a).not.toBeNull();
      const bytes = (v: unknown) => (v instanceof Uint8Array ? [...v] : v);
      expect(Object.fromEntries(Object.entries(a!).map(([k, v]) => [k, bytes(v)]))).toEqual(
        Object.fromEntries(Object.entries(b).map(([k, v]) => [k, bytes(v)])),
      );
    };
    for (const on of [db.prisma, undefined]) {
      const read = <T>(fn: (d: typeof db.prisma) => Promise<T>) =>
        on ? fn(on) : db.prisma.$transaction((tx) => fn(tx as typeof db.prisma));
      same(await read((d) => uniqueRow(d, "Certificate", "id", cert.id)), certificate);
      same(await read((d) => uniqueRow(d, "RenewalOrder", "id", order.id)), viaPrisma);
      same(await read((d) => uniqueRow(d, "RenewalOrder", "openCertificateId", cert.id)), viaPrisma);
      expect(await read((d) => uniqueRow(d, "RenewalOrder", "id", "no-such-order"))).toBeNull();
      const tiers = await read((d) => selectRows(d, "FeeTier", `WHERE "id" = $1`, [viaPrisma.feeTierId]));
      expect(tiers).toHaveLength(1);
      same(tiers[0], await db.prisma.feeTier.findUniqueOrThrow({ where: { id: viaPrisma.feeTierId! } }));
    }
    expect(viaPrisma.state).toBe("draft");
    expect(certificate.der).toBeInstanceOf(Uint8Array);
  });
});
