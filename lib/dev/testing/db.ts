import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import pg from "pg";
import { openDb, type OpenDb } from "../../db/client";
import { applyMigrations } from "../../db/migrate";

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or a new database on the
 * PostgreSQL server of DATABASE_URL (dropped again on close), so suites never see each other's rows.
 */
export async function createTestDb(): Promise<OpenDb & { url?: string }> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const template = process.env.CERTRENEW_PGLITE_TEMPLATE;
    if (template && existsSync(template))
      return openDb({ pgliteDir: "memory://", loadDataDir: new Blob([readFileSync(template)]) });
    const db = await openDb({ pgliteDir: "memory://" });
    await applyMigrations({ pglite: db.pglite! });
    return db;
  }
  const name = `certrenew_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  await applyMigrations({ url: url.toString() });
  const db = await openDb({ url: url.toString() });
  return {
    ...db,
    /** lets a test open a second client on the same database (several instances) */
    url: url.toString(),
    async close() {
      await db.close();
      const a = new pg.Client({ connectionString: base });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

export const onPostgres = Boolean(process.env.DATABASE_URL);
