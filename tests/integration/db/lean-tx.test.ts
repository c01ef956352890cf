import "../../helpers/env";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import { createTestDb, onPostgres } from "../../helpers/db";
import { openDb, type OpenDb } from "@/lib/db/client";
import {
  TYPED_COLUMNS,
  insertRow,
  isUniqueViolation,
  leanOf,
  prismaTx,
  sqlRows,
  sqlTransaction,
  uniqueRow,
  updateRows,
  LeanTxError,
  PrismaTxNeeded,
  type ModelRow,
  type Sql,
} from "@/lib/db/lean";
import { appendAudit, verifyAuditChain, withSqlTx, withSqlTxOrPrisma, withTx } from "@/lib/audit";
import { ensureDefaultFeeTiers } from "@/lib/fees/tiers";
import { draftOrder, insertCertificate } from "../../helpers/orders";
import { systemClock } from "@/lib/clock";
import { isDbUnavailable } from "@/lib/errors";
import { transitionOrder } from "@/lib/orders/machine";

/**
 * Plain-SQL transactions (lib/db/lean.ts, lib/audit withSqlTx) on this suite's database (PGlite, and PostgreSQL when
 * DATABASE_URL is set): they commit, roll back, seal audit events, give up waiting and running in time, and the rows
 * insertRow/updateRows return are the rows Prisma reads, far from UTC too.
 */

let db: OpenDb & { url?: string };
const zone = process.env.TZ;
beforeAll(async () => {
  db = await createTestDb();
  await ensureDefaultFeeTiers(db.prisma, systemClock);
});
afterAll(async () => {
  await db?.close();
});
afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

/** node-postgres gives bytes as Buffer, Prisma as Uint8Array: the same bytes either way */
const bytesAsArrays = (row: object | null) =>
  row && Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v]));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function auditCount(): Promise<number> {
  return db.prisma.auditEvent.count();
}

function mailRow(orderId: string | null, to: string) {
  return {
    id: randomUUID(),
    to,
    template: "order_submitted",
    data: { orderNo: "R1", list: [1, "二"], nested: { ok: true } },
    orderId,
    nextAttemptAt: new Date(),
    createdAt: new Date(),
  };
}

describe("withSqlTx", () => {
  test("runs on the driver: its statements commit together, with their audit event sealed into the chain", async () => {
    const before = await auditCount();
    const to = `commit-${randomUUID()}@example.com`;
    const written = await withSqlTx(db.prisma, async (tx) => {
      // a plain-SQL transaction, not Prisma's: it has a lean runner of its own, and no model calls
      expect(leanOf(tx)).toBeDefined();
      expect(() => prismaTx(tx)).toThrow(PrismaTxNeeded);
      const row = await insertRow(tx, "MailOutbox", mailRow(null, to));
      await appendAudit(
        tx,
        { actorType: "system", action: "test.lean_tx", targetType: "mail", targetId: row.id },
        systemClock,
      );
      // its own writes are visible to it, not yet to others
      expect(await sqlRows(tx, `SELECT "id" FROM "MailOutbox" WHERE "to" = $1`, [to])).toHaveLength(1);
      // (PGlite runs one transaction at a time: a read from outside would wait for this one to end)
      if (onPostgres) expect(await db.prisma.mailOutbox.count({ where: { to } })).toBe(0);
      return row;
    });
    expect(await db.prisma.mailOutbox.findUniqueOrThrow({ where: { id: written.id } })).toEqual(written);
    expect(await auditCount()).toBe(before + 1);
    const check = await verifyAuditChain(db.prisma);
    expect(check.ok).toBe(true);
  });

  test("a statement sent on a transaction after its end is refused (its connection is back in the pool)", async () => {
    let kept: Sql | undefined;
    await withSqlTx(db.prisma, async (tx) => {
      kept = tx;
      await sqlRows(tx, `SELECT 1 AS "one"`, []);
    });
    await expect(sqlRows(kept!, `SELECT 1 AS "one"`, [])).rejects.toThrow(/already closed/);
  });

  test("a plain-SQL transaction not opened by withSqlTx cannot append an audit event", async () => {
    const before = await auditCount();
    const unsealed = sqlTransaction(
      db.prisma,
      (tx) => appendAudit(tx, { actorType: "system", action: "test.unsealed", targetType: "mail" }, systemClock),
      { maxWait: 1000, timeout: 5000 },
    );
    await expect(unsealed).rejects.toThrow(/withSqlTx/);
    expect(await auditCount()).toBe(before);
  });

  test("a throw rolls everything back, audit event included, and reaches the caller unchanged", async () => {
    const before = await auditCount();
    const to = `rollback-${randomUUID()}@example.com`;
    const boom = new Error("boom");
    await expect(
      withSqlTx(db.prisma, async (tx) => {
        await insertRow(tx, "MailOutbox", mailRow(null, to));
        await appendAudit(tx, { actorType: "system", action: "test.rolled_back", targetType: "mail" }, systemClock);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await db.prisma.mailOutbox.count({ where: { to } })).toBe(0);
    expect(await auditCount()).toBe(before);
    // and the connection went back to the pool clean: the next transaction works
    await withSqlTx(db.prisma, async (tx) => void (await insertRow(tx, "MailOutbox", mailRow(null, to))));
    expect(await db.prisma.mailOutbox.count({ where: { to } })).toBe(1);
  });

  test("a failed statement (a unique violation) rolls back and is recognised as one", async () => {
    const id = randomUUID();
    await withSqlTx(db.prisma, (tx) => insertRow(tx, "MailOutbox", { ...mailRow(null, "a@example.com"), id }));
    const err = await withSqlTx(db.prisma, async (tx) => {
      await insertRow(tx, "MailOutbox", mailRow(null, "dup-before@example.com"));
      await insertRow(tx, "MailOutbox", { ...mailRow(null, "b@example.com"), id });
    }).catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(await db.prisma.mailOutbox.count({ where: { to: "dup-before@example.com" } })).toBe(0);
    // Prisma's own violation is one too, and other errors are not
    const viaPrisma = await db.prisma.mailOutbox
      .create({ data: { ...mailRow(null, "c@example.com"), id } })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(viaPrisma)).toBe(true);
    expect(isUniqueViolation(new Error("23505"))).toBe(false);
  });

  test("past its timeout a transaction is rolled back with TX_EXPIRED, a 503 to the holder", async () => {
    const to = `slow-${randomUUID()}@example.com`;
    const err = await withSqlTx(
      db.prisma,
      async (tx) => {
        await insertRow(tx, "MailOutbox", mailRow(null, to));
        await sleep(120);
        await sqlRows(tx, `SELECT 1 AS "one"`, []);
      },
      { timeout: 60 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeanTxError);
    expect(err).toMatchObject({ code: "TX_EXPIRED" });
    expect(isDbUnavailable(err)).toBe(true);
    expect(await db.prisma.mailOutbox.count({ where: { to } })).toBe(0);
  });

  test("one that cannot get a connection within maxWait gives up with TX_WAIT and never runs", async () => {
    // PostgreSQL: a second client with a pool of one connection; PGlite: its one transaction at a time
    const other = db.url ? await openDb({ url: db.url, poolSize: 1 }) : undefined;
    const client = other?.prisma ?? db.prisma;
    try {
      let release!: () => void;
      const holding = withSqlTx(client, () => new Promise<void>((r) => (release = r)));
      await sleep(50);
      let ran = false;
      const err = await withSqlTx(
        client,
        async () => {
          ran = true;
        },
        { maxWait: 80 },
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "TX_WAIT" });
      expect(isDbUnavailable(err)).toBe(true);
      release();
      await holding;
      await sleep(50);
      expect(ran).toBe(false);
      // the connection is free again
      expect(
        await withSqlTx(client, async (tx) => (await sqlRows<{ n: number }>(tx, `SELECT 2 AS "n"`, []))[0]!.n),
      ).toBe(2);
    } finally {
      await other?.close();
    }
  });

  test("a connection the server ends while lent to a transaction fails that transaction, not the process", async () => {
    if (!onPostgres) return; // PGlite has no server to end it
    const err = await withSqlTx(db.prisma, async (tx) => {
      const [mine] = await sqlRows<{ pid: number }>(tx, `SELECT pg_backend_pid() AS "pid"`, []);
      // an administrator (or a restart) ends this backend while the transaction waits between two statements
      await db.prisma.$queryRawUnsafe(`SELECT pg_terminate_backend($1::int) AS "ended"`, mine!.pid);
      await sleep(200);
      await sqlRows(tx, `SELECT 1 AS "one"`, []);
    }).catch((e: unknown) => e);
    // unheard, the client's "error" event would have been an uncaught exception (vitest fails the file on one)
    expect(isDbUnavailable(err)).toBe(true);
    expect(await withSqlTx(db.prisma, (tx) => sqlRows(tx, `SELECT 1 AS "one"`, []))).toHaveLength(1);
  });

  test("serializable isolation: a write skew between two transactions fails one of them", async () => {
    if (!onPostgres) return; // PGlite runs one transaction at a time: nothing can interleave
    const a = await insertCertificate(db.prisma, { serial: `ISO${Date.now()}` });
    const attempt = (note: string) =>
      withSqlTx(
        db.prisma,
        async (tx) => {
          const [r] = await sqlRows<{ n: number }>(
            tx,
            `SELECT count(*)::int AS "n" FROM "MailOutbox" WHERE "certificateId" = $1`,
            [a.id],
          );
          await sleep(60);
          if (r!.n === 0)
            await insertRow(tx, "MailOutbox", { ...mailRow(null, `${note}@example.com`), certificateId: a.id });
        },
        { isolationLevel: "Serializable" },
      );
    const results = await Promise.allSettled([attempt("x"), attempt("y")]);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    expect(await db.prisma.mailOutbox.count({ where: { certificateId: a.id } })).toBe(1);
  });
});

describe("withSqlTxOrPrisma", () => {
  test("work that finds it needs Prisma is rolled back and run again in a Prisma transaction", async () => {
    const to = `escalated-${randomUUID()}@example.com`;
    const kinds: string[] = [];
    const row = await withSqlTxOrPrisma(db.prisma, {}, async (tx: Sql) => {
      kinds.push(leanOf(tx) ? "sql" : "prisma");
      await insertRow(tx, "MailOutbox", mailRow(null, to));
      const prisma = prismaTx(tx);
      return prisma.mailOutbox.findFirstOrThrow({ where: { to } });
    });
    expect(kinds).toEqual(["sql", "prisma"]);
    // the first attempt's insert was rolled back: one row, the second attempt's
    expect(await db.prisma.mailOutbox.count({ where: { to } })).toBe(1);
    expect(row.to).toBe(to);
  });
});

describe("insertRow and updateRows", () => {
  test("rows are what Prisma reads, on either path, far from UTC (Kiritimati, New York)", async () => {
    for (const [zoneName, path] of [
      ["Pacific/Kiritimati", "sql"],
      ["America/New_York", "prisma"],
    ] as const) {
      process.env.TZ = zoneName;
      const cert = await insertCertificate(db.prisma, { serial: `LEAN${zoneName.length}${Date.now()}` });
      const draft = await draftOrder(db.prisma, cert, systemClock);
      const run = <T>(fn: (tx: Sql) => Promise<T>) =>
        path === "sql" ? withSqlTx(db.prisma, fn) : withTx(db.prisma, fn);
      const { moved, event, flagged } = await run(async (tx) => {
        const moved = await transitionOrder(tx, {
          orderId: draft.id,
          to: "submitted",
          actor: { type: "holder", id: cert.id },
          clock: systemClock,
          current: draft,
          set: { paymentDeadline: new Date("2026-12-31T23:59:58.123Z"), csrDer: new Uint8Array([0, 1, 254, 255]) },
        });
        const event = await insertRow(tx, "PaymentEvent", {
          id: randomUUID(),
          orderId: draft.id,
          outTradeNo: draft.orderNo,
          kind: "precreate",
          verified: true,
          outcome: "applied",
          raw: { qr_code: "https://qr.example/x", list: ["a", 1, null], n: 1.5 },
          createdAt: new Date(),
        });
        const [flagged] = await updateRows(
          tx,
          "RenewalOrder",
          { flagged: true, flagReason: "第二" },
          { sql: `WHERE "id" = $1`, values: [draft.id] },
        );
        return { moved, event, flagged };
      });
      expect(moved.state).toBe("submitted");
      expect(moved.version).toBe(draft.version + 1);
      expect(moved.paymentDeadline?.toISOString()).toBe("2026-12-31T23:59:58.123Z");
      const order = await db.prisma.renewalOrder.findUniqueOrThrow({ where: { id: draft.id } });
      expect(bytesAsArrays(flagged)).toEqual(bytesAsArrays(order));
      expect(Buffer.from(order.csrDer!)).toEqual(Buffer.from([0, 1, 254, 255]));
      expect(await db.prisma.paymentEvent.findUniqueOrThrow({ where: { id: event.id } })).toEqual(event);
      expect(event.raw).toEqual({ qr_code: "https://qr.example/x", list: ["a", 1, null], n: 1.5 });
      // the same rows read the lean way
      expect(bytesAsArrays(await uniqueRow(db.prisma, "RenewalOrder", "id", draft.id))).toEqual(bytesAsArrays(order));
    }
  });

  test("every enum and json column of the models written is typed (TYPED_COLUMNS, checked against the catalogue)", async () => {
    const rows = await db.prisma.$queryRawUnsafe<{ table: string; column: string; type: string }[]>(
      `SELECT table_name AS "table", column_name AS "column",
         CASE WHEN data_type = 'USER-DEFINED' THEN '"' || udt_name || '"' ELSE data_type END AS "type"
       FROM information_schema.columns
       WHERE table_schema = current_schema() AND (data_type = 'USER-DEFINED' OR data_type IN ('json', 'jsonb'))`,
    );
    for (const model of Object.keys(TYPED_COLUMNS) as (keyof ModelRow)[]) {
      const inCatalogue = Object.fromEntries(rows.filter((r) => r.table === model).map((r) => [r.column, r.type]));
      expect(TYPED_COLUMNS[model], model).toEqual(inCatalogue);
    }
  });
});
