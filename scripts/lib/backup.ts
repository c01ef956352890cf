import { execFile } from "node:child_process";
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";

/**
 * `npm run backup -- DIR` / `npm run restore -- DIR` (and release/scripts/backup.mjs, restore.mjs). A backup is a
 * directory:
 *
 *   manifest.json     format, when, database kind, the applied migrations, SHA-256 of every other file
 *   database.dump     PostgreSQL: pg_dump's custom format (one consistent snapshot)
 *   pglite.tar.gz     PGlite: the data directory as PGlite dumps it (the portal must be stopped: one process)
 *   ca/               the CA directory as it is (its keys are already encrypted with CA_KEY_PASSPHRASE;
 *                     with CA_SIGNER=pkcs11 it holds the certificates only: the key stays in the HSM)
 *   secrets.enc       the secrets bundle: every secret variable that is set (and the Alipay sandbox identity in
 *                     demo mode) as JSON, AES-256-GCM under a key derived from BACKUP_PASSPHRASE with scrypt
 *
 * Restore checks every file's hash, refuses a database that has any table and a CA directory that has files,
 * then loads the database, copies the CA directory and writes the secrets out (see scripts/restore.ts).
 */

export const SECRET_NAMES = [
  "SESSION_SECRET",
  "SESSION_SECRET_PREVIOUS",
  "FIELD_ENCRYPTION_KEY",
  "SO_PIN_MASTER_SECRET",
  "CA_KEY_PASSPHRASE",
  "PKCS11_PIN",
  "METRICS_TOKEN",
  "ALIPAY_PRIVATE_KEY",
  "SMTP_PASS",
] as const;

const FORMAT = "certrenew-backup-1";
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const run = promisify(execFile);

export type BackupDatabase = { url: string } | { pglite: PGlite };

export interface SecretsBundle {
  env: Record<string, string>;
  /** extra files by path relative to DATA_DIR (the Alipay sandbox identity in demo mode) */
  files: Record<string, string>;
}

export interface Manifest {
  format: typeof FORMAT;
  createdAt: string;
  database: "postgresql" | "pglite";
  migrations: string[];
  files: Record<string, string>;
}

/** The newest PostgreSQL client tools: /usr/lib/postgresql/<version>/bin, else PATH. */
export function pgTool(name: "pg_dump" | "pg_restore"): string {
  try {
    const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(a) - Number(b));
    for (const v of versions.reverse()) {
      const p = path.join("/usr/lib/postgresql", v, "bin", name);
      if (existsSync(p)) return p;
    }
  } catch {
    // not installed there
  }
  return name;
}

/** A Prisma-style URL as libpq takes it (Prisma's own query parameters removed). */
export function libpqUrl(url: string): string {
  const u = new URL(url);
  for (const p of ["schema", "connection_limit", "pool_timeout", "pgbouncer", "statement_cache_size"])
    u.searchParams.delete(p);
  return u.toString();
}

function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
  });
}

export function sealSecrets(bundle: SecretsBundle, passphrase: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(passphrase, salt, 32, SCRYPT);
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([c.update(JSON.stringify(bundle), "utf8"), c.final()]);
  const b64 = (b: Buffer) => b.toString("base64");
  return (
    JSON.stringify(
      { v: 1, kdf: "scrypt", ...SCRYPT, salt: b64(salt), iv: b64(iv), tag: b64(c.getAuthTag()), data: b64(data) },
      null,
      2,
    ) + "\n"
  );
}

export function openSecrets(sealed: string, passphrase: string): SecretsBundle {
  const s = JSON.parse(sealed) as {
    v: number;
    N: number;
    r: number;
    p: number;
    salt: string;
    iv: string;
    tag: string;
    data: string;
  };
  if (s.v !== 1) throw new Error("secrets.enc: unknown format");
  const key = scryptSync(passphrase, Buffer.from(s.salt, "base64"), 32, {
    N: s.N,
    r: s.r,
    p: s.p,
    maxmem: SCRYPT.maxmem,
  });
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(s.iv, "base64"));
  d.setAuthTag(Buffer.from(s.tag, "base64"));
  try {
    return JSON.parse(
      Buffer.concat([d.update(Buffer.from(s.data, "base64")), d.final()]).toString("utf8"),
    ) as SecretsBundle;
  } catch {
    throw new Error("secrets.enc: wrong BACKUP_PASSPHRASE (or the file is damaged)");
  }
}

/** The passphrase the secrets bundle is sealed with: BACKUP_PASSPHRASE, at least 12 characters. */
export function backupPassphrase(env: NodeJS.ProcessEnv = process.env): string {
  const p = env.BACKUP_PASSPHRASE ?? "";
  if (p.length < 12)
    throw new Error("BACKUP_PASSPHRASE is missing: at least 12 characters (keep it apart from the backup)");
  return p;
}

/** The secrets of this configuration that are set (SECRET_NAMES). */
export function secretsOf(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(SECRET_NAMES.flatMap((n) => (env[n] ? [[n, env[n]!]] : [])));
}

async function appliedMigrations(db: BackupDatabase): Promise<string[]> {
  const sql = `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`;
  if ("pglite" in db) return (await db.pglite.query<{ migration_name: string }>(sql)).rows.map((r) => r.migration_name);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query<{ migration_name: string }>(sql)).rows.map((r) => r.migration_name);
  } finally {
    await c.end();
  }
}

export async function backup(opts: {
  dir: string;
  db: BackupDatabase;
  caDir: string;
  dataDir?: string;
  secrets: Record<string, string>;
  passphrase: string;
}): Promise<Manifest> {
  const { dir } = opts;
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} is not empty: give a new directory`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const migrations = await appliedMigrations(opts.db);
  let database: Manifest["database"];
  if ("pglite" in opts.db) {
    database = "pglite";
    const blob = await opts.db.pglite.dumpDataDir("gzip");
    writeFileSync(path.join(dir, "pglite.tar.gz"), Buffer.from(await blob.arrayBuffer()), { mode: 0o600 });
  } else {
    database = "postgresql";
    await run(pgTool("pg_dump"), [
      "--format=custom",
      "--no-owner",
      "--no-privileges",
      "--file",
      path.join(dir, "database.dump"),
      libpqUrl(opts.db.url),
    ]);
  }
  if (existsSync(opts.caDir)) cpSync(opts.caDir, path.join(dir, "ca"), { recursive: true });
  const files: Record<string, string> = {};
  const sandbox = opts.dataDir && path.join(opts.dataDir, "alipay-sandbox", "identity.json");
  if (sandbox && existsSync(sandbox)) files["alipay-sandbox/identity.json"] = readFileSync(sandbox, "utf8");
  writeFileSync(path.join(dir, "secrets.enc"), sealSecrets({ env: opts.secrets, files }, opts.passphrase), {
    mode: 0o600,
  });
  const manifest: Manifest = {
    format: FORMAT,
    createdAt: new Date().toISOString(),
    database,
    migrations,
    files: Object.fromEntries(listFiles(dir).map((f) => [f, sha256File(path.join(dir, f))])),
  };
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

/** The backup's manifest, with every listed file's hash checked. */
export function readBackup(dir: string): Manifest {
  const file = path.join(dir, "manifest.json");
  if (!existsSync(file)) throw new Error(`${dir} has no manifest.json: not a CertRenew backup`);
  const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  if (m.format !== FORMAT) throw new Error(`${dir}: unknown backup format ${String(m.format)}`);
  for (const [f, hash] of Object.entries(m.files)) {
    const p = path.join(dir, f);
    if (!existsSync(p) || sha256File(p) !== hash) throw new Error(`${dir}: ${f} is missing or damaged`);
  }
  return m;
}

async function assertEmptyPostgres(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    if (Number(r.rows[0].n) > 0) throw new Error("the target database is not empty: restore needs an empty database");
  } finally {
    await c.end();
  }
}

export type RestoreTarget = { url: string } | { pgliteDir: string };

/** Loads the backup into an empty database and CA directory; returns the opened secrets bundle. */
export async function restore(opts: {
  dir: string;
  target: RestoreTarget;
  caDir: string;
  passphrase: string;
}): Promise<{ manifest: Manifest; secrets: SecretsBundle }> {
  const manifest = readBackup(opts.dir);
  const secrets = openSecrets(readFileSync(path.join(opts.dir, "secrets.enc"), "utf8"), opts.passphrase);
  if (existsSync(opts.caDir) && readdirSync(opts.caDir).length > 0)
    throw new Error(`${opts.caDir} is not empty: restore puts the CA directory of the backup there`);
  if (manifest.database === "pglite") {
    if (!("pgliteDir" in opts.target)) throw new Error("this backup is of PGlite: restore it with DATABASE_URL unset");
    const dir = opts.target.pgliteDir;
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} is not empty`);
    mkdirSync(path.dirname(dir), { recursive: true });
    const blob = new Blob([readFileSync(path.join(opts.dir, "pglite.tar.gz"))]);
    const db = new PGlite(dir, { loadDataDir: blob });
    await db.waitReady;
    await db.close();
  } else {
    if (!("url" in opts.target)) throw new Error("this backup is of PostgreSQL: set DATABASE_URL to an empty database");
    const url = libpqUrl(opts.target.url);
    await assertEmptyPostgres(url);
    await run(pgTool("pg_restore"), [
      "--no-owner",
      "--no-privileges",
      "--exit-on-error",
      "--single-transaction",
      "--dbname",
      url,
      path.join(opts.dir, "database.dump"),
    ]);
  }
  if (existsSync(path.join(opts.dir, "ca"))) cpSync(path.join(opts.dir, "ca"), opts.caDir, { recursive: true });
  return { manifest, secrets };
}
