import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, test } from "vitest";
import { applyMigrations, diffMigrationsToSchema } from "@/lib/db/migrate";
import { MIGRATIONS_DIR } from "@/lib/db/paths";
import { checkHealth, recentHealth } from "@/lib/db/health";
import { openDb } from "@/lib/db/client";
import { createTestDb } from "@/tests/helpers/db";

const pgUrl = process.env.DATABASE_URL || undefined;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function brokenMigrationsDir(): Promise<{ dir: string; broken: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "certrenew-migrations-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  const broken = "29991231000000_broken";
  await mkdir(path.join(dir, broken));
  await writeFile(
    path.join(dir, broken, "migration.sql"),
    'ALTER TABLE "Certificate" ADD COLUMN "x" INTEGER;\nSELECT * FROM "no_such_table";\n',
  );
  return { dir, broken };
}

async function freshPostgres(): Promise<string> {
  const name = `certrenew_mig_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  cleanups.push(async () => {
    const a = new pg.Client({ connectionString: pgUrl });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await a.end();
  });
  const url = new URL(pgUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

test("the committed migrations produce exactly schema.prisma", async () => {
  expect(await diffMigrationsToSchema()).toBe("");
});

describe.runIf(!pgUrl)("on PGlite", () => {
  test("applies each migration once", async () => {
    const pglite = new PGlite();
    cleanups.push(() => pglite.close());
    const first = await applyMigrations({ pglite });
    expect(first.length).toBeGreaterThan(0);
    expect(await applyMigrations({ pglite })).toEqual([]);
  });

  test("a broken migration fails and is not recorded as applied", async () => {
    const { dir, broken } = await brokenMigrationsDir();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "certrenew-pglite-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const db = await openDb({ pgliteDir: dataDir });
    cleanups.push(() => db.close());
    await expect(applyMigrations({ pglite: db.pglite! }, dir)).rejects.toThrow();
    const rows = await db.prisma.$queryRaw<
      { migration_name: string; finished_at: Date | null }[]
    >`SELECT migration_name, finished_at FROM "_prisma_migrations"`;
    const row = rows.find((r) => r.migration_name === broken);
    expect(row?.finished_at ?? null).toBeNull();
    await expect(applyMigrations({ pglite: db.pglite! }, dir)).rejects.toThrow();
  });
});

describe.runIf(pgUrl)("on PostgreSQL", () => {
  test("applies each migration once, and leaves no connection holding the migration lock", async () => {
    const url = await freshPostgres();
    expect((await applyMigrations({ url })).length).toBeGreaterThan(0);
    // a lingering pooled connection kept the session-level advisory lock until pg's idle timeout (10 s), and the
    // next migrate (another instance starting) waited for it up to the engine's own 10 s limit
    const name = new URL(url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [name],
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await admin.end();
    }
    expect(await applyMigrations({ url })).toEqual([]);
  });

  test("a broken migration fails and is not recorded as applied", async () => {
    const { dir, broken } = await brokenMigrationsDir();
    const url = await freshPostgres();
    await expect(applyMigrations({ url }, dir)).rejects.toThrow();
    const db = await openDb({ url });
    cleanups.push(() => db.close());
    const rows = await db.prisma.$queryRaw<
      { migration_name: string; finished_at: Date | null }[]
    >`SELECT migration_name, finished_at FROM "_prisma_migrations"`;
    expect(rows.find((r) => r.migration_name === broken)?.finished_at ?? null).toBeNull();
    await expect(applyMigrations({ url }, dir)).rejects.toThrow();
  });
});

const committedNames = async () =>
  (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

test("health reports pending migrations on an empty database", async () => {
  const db = await openDb({ pgliteDir: "memory://" });
  cleanups.push(() => db.close());
  const health = await checkHealth(db.prisma);
  expect(health.ok).toBe(false);
});

test("health is ok with every committed migration applied and names one that is not, on each request", async () => {
  const db = await createTestDb();
  cleanups.push(() => db.close());
  const committed = await committedNames();
  expect(await checkHealth(db.prisma)).toMatchObject({ ok: true, migrations: { pending: [], failed: [] } });
  const newest = committed.at(-1)!;
  await db.prisma.$executeRaw`DELETE FROM "_prisma_migrations" WHERE migration_name = ${newest}`;
  for (const _ of [1, 2]) {
    const health = await checkHealth(db.prisma);
    expect(health).toMatchObject({ ok: false, migrations: { pending: [newest] } });
  }
});

test("/api/health's probe is shared for up to a second and then made again", async () => {
  const db = await createTestDb();
  cleanups.push(() => db.close());
  const newest = (await committedNames()).at(-1)!;
  const first = recentHealth(db.prisma, 1000, 10_000);
  // a request arriving while the probe runs waits for the same probe
  expect(recentHealth(db.prisma, 1000, 10_000)).toBe(first);
  expect(await first).toMatchObject({ ok: true });
  await db.prisma.$executeRaw`DELETE FROM "_prisma_migrations" WHERE migration_name = ${newest}`;
  // within the second: the probe made at 10 s, before the change
  expect(await recentHealth(db.prisma, 1000, 10_999)).toMatchObject({ ok: true });
  // a second later: a new probe sees it
  expect(await recentHealth(db.prisma, 1000, 11_000)).toMatchObject({ ok: false, migrations: { pending: [newest] } });
  // a clock that went back (another caller's `now`) is not a reason to answer from the future
  expect(await recentHealth(db.prisma, 1000, 5_000)).toMatchObject({ ok: false });
});
