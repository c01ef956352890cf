import path from "node:path";
import { ConfigError } from "../lib/config";
import { openDb } from "../lib/db/client";
import { applyMigrations } from "../lib/db/migrate";

/** `npm run db:migrate`: applies the committed migrations not yet applied (DATABASE_URL, else PGlite in DATA_DIR). */
const url = process.env.DATABASE_URL || undefined;
const dataDir = path.resolve(process.env.DATA_DIR || ".data");
try {
  if (url && !/^postgres(ql)?:\/\//.test(url))
    throw new ConfigError("DATABASE_URL is invalid: expected a PostgreSQL URL");
  const db = await openDb({ url, pgliteDir: path.join(dataDir, "pglite") });
  try {
    const applied = await applyMigrations(db.pglite ? { pglite: db.pglite } : { url: url! });
    console.log(applied.length ? `applied: ${applied.join(", ")}` : "nothing to apply: the database is up to date");
  } finally {
    await db.close();
  }
  process.exit(0);
} catch (e) {
  console.error(`migration failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  process.exit(1);
}
