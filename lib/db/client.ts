import path from "node:path";
import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { createHash } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client";
import pg from "pg";
import { PgListener, checkChannel, type ListenTrouble, type Listener, type Unlisten } from "./listen";
import { attachLean, pgLean, pgliteLean } from "./lean";

export type Db = PrismaClient;
/** The client or an interactive-transaction client: domain functions accept either. */
export type Tx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

export interface OpenDb {
  prisma: PrismaClient;
  kind: "pglite" | "postgres";
  /** the PGlite instance when embedded (migrations need it) */
  pglite?: PGlite;
  /**
   * Calls `fn` with the payload of every NOTIFY on `channel` (sent by any process on this database, delivered once
   * its transaction commits). Absent on a database opened without it (some tests): callers then do not wait.
   */
  listen?(channel: string, fn: Listener, trouble?: ListenTrouble): Promise<Unlisten>;
  close(): Promise<void>;
}

/**
 * Under load, transactions queue for a pooled connection and for the audit chain's lock; Prisma's defaults
 * (2 s to start, 5 s to finish) turned that wait into errors. A request that still waits longer gets a 503.
 */
export const TX_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

/**
 * How many distinct statements a process names, and so each of its connections keeps parsed; the rest go unnamed.
 * A kept statement costs its PostgreSQL backend ~40–60 KB (plan source and plan; bench/README.md, ninth session), so
 * at most ~25 MB per connection; the holder flow uses about a hundred.
 */
const NAMED_STATEMENTS_MAX = 500;

/**
 * Names for the statements Prisma sends, so node-postgres parses each once per connection and then only binds and
 * executes it: PostgreSQL's parse and plan of an unnamed statement were most of its CPU per query (bench/README.md).
 * A name is the hash of the SQL text, so the same text gets the same name on every connection. Texts that vary with
 * the data (IN lists, batches) would grow every connection's statement cache without end, so past
 * NAMED_STATEMENTS_MAX distinct texts a process sends new ones unnamed (the name ""), as before.
 */
export function statementNames(max = NAMED_STATEMENTS_MAX): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined) {
      if (names.size >= max) return ""; // the unnamed statement
      name = `cr_${createHash("sha1").update(sql).digest("base64url")}`;
      names.set(sql, name);
    }
    return name;
  };
}

/**
 * Opens PostgreSQL when `url` is given (a pool of `poolSize` connections, default 10), otherwise PGlite in
 * `pgliteDir` (or in memory when that is "memory://").
 */
export async function openDb(opts: {
  url?: string;
  poolSize?: number;
  pgliteDir?: string;
  loadDataDir?: Blob;
  /** PostgreSQL: keep each connection's parsed statements (default on; off behind a transaction-mode pooler) */
  preparedStatements?: boolean;
  /** PostgreSQL: where the one LISTEN connection goes, when `url` is a pooler that cannot hold one (default `url`) */
  listenUrl?: string;
}): Promise<OpenDb> {
  if (opts.url) {
    // one pool for Prisma's adapter and the lean statements (lib/db/lean.ts)
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10 });
    // an idle connection the server closed is dropped by the pool; unheard, the event would end the process
    pool.on("error", () => undefined);
    const names = opts.preparedStatements === false ? undefined : statementNames();
    const prisma = new PrismaClient({
      adapter: new PrismaPg(pool, names ? { statementNameGenerator: names } : {}),
      transactionOptions: TX_OPTIONS,
    });
    attachLean(prisma, pgLean(pool, names));
    const listener = new PgListener(opts.listenUrl ?? opts.url);
    return {
      prisma,
      kind: "postgres",
      listen: (channel, fn, trouble) => listener.listen(channel, fn, trouble),
      async close() {
        await listener.close();
        await prisma.$disconnect();
        await pool.end();
      },
    };
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
  attachLean(prisma, pgliteLean(pglite));
  return {
    prisma,
    kind: "pglite",
    pglite,
    async listen(channel, fn) {
      const stop = await pglite.listen(checkChannel(channel), fn);
      return () => void stop().catch(() => undefined);
    },
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
