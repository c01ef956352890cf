import path from "node:path";
import { pathToFileURL } from "node:url";
import { startupConfigOrExit } from "../lib/startup-config";
import { loadDemoSecrets } from "../../lib/config/demo-secrets";
import { openDb } from "../../lib/db/client";
import { applyMigrations } from "../../lib/db/migrate";

/**
 * release/server.js (`npm run serve`): runs in the release folder, builds nothing. The configuration is checked
 * first (one line naming a bad variable, exit 2), pending migrations are applied (RUN_MIGRATIONS=0 leaves that to
 * a deploy step: `node scripts/migrate.mjs`; Prisma's migration lock makes concurrent starts safe), then the
 * front (scripts/front.mjs) starts PORTAL_PROCESSES processes on PORT.
 */

process.chdir(path.join(import.meta.dirname, ".."));
const env = process.env;
for (const [k, v] of Object.entries(env)) if (v === "") delete env[k];
(env as Record<string, string | undefined>).NODE_ENV ??= "production";
env.NEXT_TELEMETRY_DISABLED = "1";
if (env.DEMO_MODE === "1" || env.DEMO_MODE === "true") loadDemoSecrets(path.resolve(env.DATA_DIR || ".data"), env);

const config = startupConfigOrExit(env);
env.PORTAL_PROCESSES = String(config.portalProcesses);

if (env.RUN_MIGRATIONS !== "0") {
  try {
    const db = await openDb({ url: config.DATABASE_URL, pgliteDir: path.join(config.dataDir, "pglite") });
    try {
      const applied = await applyMigrations(db.pglite ? { pglite: db.pglite } : { url: config.DATABASE_URL! });
      if (applied.length) console.log(`Applied migrations: ${applied.join(", ")}`);
    } finally {
      await db.close();
    }
  } catch (e) {
    console.error(`Cannot prepare the database: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    process.exit(1);
  }
}

await import(pathToFileURL(path.join(import.meta.dirname, "front.mjs")).href);
