import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { backupPassphrase, restore } from "./lib/backup";

/**
 * `npm run restore -- DIR [--secrets-out FILE]` (release: `node scripts/restore.mjs DIR`): into an EMPTY database
 * (DATABASE_URL; or DATA_DIR/pglite, which must not exist) and an empty CA directory (CA_DIR or DATA_DIR/ca).
 * The secrets: in demo mode into DATA_DIR/secrets.json (what `npm start` reads); otherwise into FILE (default
 * DATA_DIR/restored-secrets.env, mode 0600) as KEY=value lines for the instances' environment (systemd
 * EnvironmentFile) — move them to where the other secrets are kept and delete the file.
 */
const env = process.env;
for (const [k, v] of Object.entries(env)) if (v === "") delete env[k];
const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith("--"));
const outIndex = args.indexOf("--secrets-out");
if (!dir) {
  console.error("usage: npm run restore -- DIR [--secrets-out FILE]   (BACKUP_PASSPHRASE opens the secrets)");
  process.exit(2);
}
const dataDir = path.resolve(env.DATA_DIR || ".data");
const demo = env.DEMO_MODE === "1" || env.DEMO_MODE === "true" || (!env.DATABASE_URL && env.DEMO_MODE === undefined);
try {
  const { manifest, secrets } = await restore({
    dir: path.resolve(dir),
    target: env.DATABASE_URL ? { url: env.DATABASE_URL } : { pgliteDir: path.join(dataDir, "pglite") },
    caDir: path.resolve(env.CA_DIR || path.join(dataDir, "ca")),
    passphrase: backupPassphrase(env),
  });
  mkdirSync(dataDir, { recursive: true });
  for (const [rel, text] of Object.entries(secrets.files)) {
    mkdirSync(path.dirname(path.join(dataDir, rel)), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(dataDir, rel), text, { mode: 0o600 });
  }
  let where: string;
  if (demo) {
    where = path.join(dataDir, "secrets.json");
    const before = existsSync(where) ? (JSON.parse(readFileSync(where, "utf8")) as Record<string, string>) : {};
    writeFileSync(where, JSON.stringify({ ...before, ...secrets.env }, null, 2) + "\n", { mode: 0o600 });
  } else {
    where = path.resolve(outIndex >= 0 ? args[outIndex + 1] : path.join(dataDir, "restored-secrets.env"));
    const lines = Object.entries(secrets.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    writeFileSync(where, lines.join("\n") + "\n", { mode: 0o600 });
  }
  console.log(
    `restored ${manifest.database} backup of ${manifest.createdAt} (${manifest.migrations.length} migrations); secrets in ${where}`,
  );
  process.exit(0);
} catch (e) {
  console.error(`restore failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  process.exit(1);
}
