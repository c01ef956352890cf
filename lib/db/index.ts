import path from "node:path";
import { openDb, type OpenDb } from "./client";

export type { Db, Tx, OpenDb } from "./client";

/**
 * The process-wide database: PostgreSQL when DATABASE_URL is set, else PGlite persisted in DATA_DIR/pglite.
 * Kept on globalThis so Next's module reloading in development does not open the embedded database twice.
 */
const holder = globalThis as unknown as { __certrenewDb?: Promise<OpenDb> };

export function dataDir(): string {
  return path.resolve(/*turbopackIgnore: true*/ process.env.DATA_DIR || ".data");
}

export function getOpenDb(): Promise<OpenDb> {
  holder.__certrenewDb ??= openDb({
    url: process.env.DATABASE_URL || undefined,
    poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10),
    // behind a transaction-mode pooler that does not track them (PgBouncer before 1.21, or max_prepared_statements 0)
    preparedStatements: process.env.DATABASE_PREPARED_STATEMENTS !== "0",
    // a transaction-mode pooler cannot keep a LISTEN: the payment page's wake-ups go straight to PostgreSQL then
    listenUrl: process.env.DATABASE_LISTEN_URL || undefined,
    pgliteDir: path.join(dataDir(), "pglite"),
  });
  return holder.__certrenewDb;
}

export async function getDb() {
  return (await getOpenDb()).prisma;
}

export async function closeDb(): Promise<void> {
  const open = holder.__certrenewDb;
  holder.__certrenewDb = undefined;
  if (open) await (await open).close();
}

/** Test seam of getOpenDb()/getDb(): the process database becomes this one (route handlers run on a test's). */
export function setProcessDb(open: OpenDb): void {
  holder.__certrenewDb = Promise.resolve(open);
}
