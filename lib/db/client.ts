import path from "node:path";
import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client";

export type Db = PrismaClient;
/** The client or an interactive-transaction client: domain functions accept either. */
export type Tx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

export interface OpenDb {
  prisma: PrismaClient;
  kind: "pglite" | "postgres";
  /** the PGlite instance when embedded (migrations need it) */
  pglite?: PGlite;
  close(): Promise<void>;
}

/**
 * Under load, transactions queue for a pooled connection and for the audit chain's lock; Prisma's defaults
 * (2 s to start, 5 s to finish) turned that wait into errors. A request that still waits longer gets a 503.
 */
const TX_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

/**
 * Opens PostgreSQL when `url` is given (a pool of `poolSize` connections, default 10), otherwise PGlite in
 * `pgliteDir` (or in memory when that is "memory://").
 */
export async function openDb(opts: {
  url?: string;
  poolSize?: number;
  pgliteDir?: string;
  loadDataDir?: Blob;
}): Promise<OpenDb> {
  if (opts.url) {
    const prisma = new PrismaClient({
      adapter: new PrismaPg({ connectionString: opts.url, max: opts.poolSize ?? 10 }),
      transactionOptions: TX_OPTIONS,
    });
    return { prisma, kind: "postgres", close: () => prisma.$disconnect() };
  }
  const dir = opts.pgliteDir ?? "memory://";
  const onDisk = !dir.startsWith("memory://");
  if (onDisk) {
    // DATA_DIR, when this creates it, is the portal's alone; an existing parent folder is left as it is
    mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  const pglite = await PGlite.create(onDisk ? { dataDir: dir } : { loadDataDir: opts.loadDataDir });
  if (onDisk) makePrivate(dir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite), transactionOptions: TX_OPTIONS });
  return {
    prisma,
    kind: "pglite",
    pglite,
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      if (onDisk) makePrivate(dir);
    },
  };
}

/**
 * PGlite (Emscripten's file system) creates its files 0666 whatever the umask: take group and other bits off every
 * file and folder under `dir` (itself included), at open and at close. The folder is 0700, so files PGlite makes in
 * between are not reachable by other users either.
 */
export function makePrivate(dir: string): void {
  const walk = (p: string) => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) chmodSync(p, st.mode & 0o700);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
}
