import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { applyMigrations } from "@/lib/db/migrate";

/**
 * Migrates one PGlite database once per test run and saves it as a template: each test file then starts
 * from a copy (createTestDb) instead of replaying every migration through the schema engine.
 */
export default async function setup() {
  if (process.env.DATABASE_URL) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), "certrenew-template-"));
  const pglite = new PGlite();
  await applyMigrations({ pglite });
  const dump = await pglite.dumpDataDir("none");
  await pglite.close();
  const file = path.join(dir, "migrated.tar");
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  process.env.CERTRENEW_PGLITE_TEMPLATE = file;
  return () => rmSync(dir, { recursive: true, force: true });
}
