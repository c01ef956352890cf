import path from "node:path";
import { loadDemoSecrets } from "../lib/config/demo-secrets";
import { openDb } from "../lib/db/client";
import { backup, backupPassphrase, secretsOf } from "./lib/backup";

/**
 * `npm run backup -- DIR` (release: `node scripts/backup.mjs DIR`): the database (pg_dump custom format with
 * DATABASE_URL; PGlite's data directory otherwise — stop the portal first), the CA directory and the secrets
 * bundle sealed with BACKUP_PASSPHRASE, into the new directory DIR. See scripts/lib/backup.ts and
 * deploy/PRODUCTION.md ("Backups").
 */
const env = process.env;
for (const [k, v] of Object.entries(env)) if (v === "") delete env[k];
const dir = process.argv[2];
if (!dir) {
  console.error("usage: npm run backup -- DIR   (BACKUP_PASSPHRASE seals the secrets)");
  process.exit(2);
}
const dataDir = path.resolve(env.DATA_DIR || ".data");
const demo = env.DEMO_MODE === "1" || env.DEMO_MODE === "true" || (!env.DATABASE_URL && env.DEMO_MODE === undefined);
try {
  const passphrase = backupPassphrase(env);
  if (demo) loadDemoSecrets(dataDir, env);
  const opened = env.DATABASE_URL ? null : await openDb({ pgliteDir: path.join(dataDir, "pglite") });
  try {
    const manifest = await backup({
      dir: path.resolve(dir),
      db: opened ? { pglite: opened.pglite! } : { url: env.DATABASE_URL! },
      caDir: path.resolve(env.CA_DIR || path.join(dataDir, "ca")),
      dataDir,
      secrets: secretsOf(env),
      passphrase,
    });
    console.log(
      `backup in ${path.resolve(dir)}: ${manifest.database}, ${manifest.migrations.length} migrations, ${Object.keys(manifest.files).length} files`,
    );
  } finally {
    await opened?.close();
  }
  process.exit(0);
} catch (e) {
  console.error(`backup failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  process.exit(1);
}
