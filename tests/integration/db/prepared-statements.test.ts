import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import pg from "pg";
import { createTestDb, onPostgres } from "@/tests/helpers/db";
import { openDb, statementNames, type OpenDb } from "@/lib/db/client";
import { sqlRows } from "@/lib/db/lean";

const named = (db: OpenDb["prisma"]) =>
  // one transaction: the same connection ran the statements and answers which it keeps parsed
  db.$transaction(async (tx) => {
    await tx.setting.findMany({ where: { key: "prepared.a" } });
    await tx.setting.findMany({ where: { key: "prepared.a" } });
    return tx.$queryRaw<
      { name: string; statement: string }[]
    >`SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE '%"Setting"%'`;
  });

describe("statement names", () => {
  test("the same SQL text gets the same name, another text another; past the cap a text goes unnamed", () => {
    const name = statementNames(2);
    const a = name({ sql: "SELECT 1" });
    expect(a).toMatch(/^cr_[\w-]{27}$/);
    expect(name({ sql: "SELECT 1" })).toBe(a);
    const b = name({ sql: "SELECT 2" });
    expect(b).not.toBe(a);
    expect(name({ sql: "SELECT 3" })).toBe("");
    // texts named before the cap keep their names
    expect(name({ sql: "SELECT 2" })).toBe(b);
  });
});

describe.skipIf(!onPostgres)("prepared statements on PostgreSQL", () => {
  let test_: OpenDb & { url?: string };
  const others: OpenDb[] = [];
  beforeAll(async () => {
    test_ = await createTestDb();
  });
  afterAll(async () => {
    for (const o of others) await o.close();
    await test_?.close();
  });
  const open = async (opts: { preparedStatements?: boolean; poolSize?: number }) => {
    const o = await openDb({ url: test_.url!, ...opts });
    others.push(o);
    return o.prisma;
  };

  test("a connection parses each of Prisma's statements once and keeps it under its name", async () => {
    const rows = await named(await open({}));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.name).toMatch(/^cr_/);
  });

  test("DATABASE_PREPARED_STATEMENTS=0 (a transaction-mode pooler): nothing is kept", async () => {
    expect(await named(await open({ preparedStatements: false }))).toEqual([]);
  });

  test("the lean statements (lib/db/lean.ts) are kept under names too, and not with DATABASE_PREPARED_STATEMENTS=0", async () => {
    for (const preparedStatements of [true, false]) {
      const db = await open({ poolSize: 1, preparedStatements });
      const probe = `SELECT "key" AS "leanProbe" FROM "Setting" WHERE "key" = $1`;
      expect(await sqlRows(db, probe, ["prepared.lean"])).toEqual([]);
      // one connection in the pool: the statement that asks runs where the probe ran (its text must not match)
      const kept = await sqlRows<{ name: string }>(
        db,
        `SELECT name FROM pg_prepared_statements WHERE statement LIKE '%lean' || 'Probe%'`,
        [],
      );
      if (preparedStatements) expect(kept).toEqual([{ name: expect.stringMatching(/^cr_/) }]);
      else expect(kept).toEqual([]);
    }
  });

  test("a column added while connections keep parsed statements: the same queries go on working", async () => {
    const db = await open({ poolSize: 1 });
    await db.setting.create({ data: { key: "prepared.b", value: 1 } });
    expect(await db.setting.findUnique({ where: { key: "prepared.b" } })).toMatchObject({ value: 1 });
    // a migration of the next release, applied by another process during a rolling upgrade
    const admin = new pg.Client({ connectionString: test_.url });
    await admin.connect();
    await admin.query(`ALTER TABLE "Setting" ADD COLUMN "preparedTestExtra" integer`);
    await admin.end();
    expect(await db.setting.findUnique({ where: { key: "prepared.b" } })).toMatchObject({ value: 1 });
    await db.setting.update({ where: { key: "prepared.b" }, data: { value: 2 } });
    expect(await db.setting.findMany({ where: { key: { in: ["prepared.b"] } } })).toMatchObject([{ value: 2 }]);
  });
});
