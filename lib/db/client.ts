import path from "node:path";
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client";
import { deferAudit, markAuditRoot, sealAudit } from "../audit";

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
 * Every interactive transaction of the client ends by sealing the audit events appended in it (lib/audit): the
 * chain's lock is then taken just before COMMIT instead of at the first event, so transactions that append audit
 * events overlap for all their other statements.
 */
function sealingAudit(prisma: PrismaClient): PrismaClient {
  const original = prisma.$transaction.bind(prisma) as (arg: unknown, options?: unknown) => Promise<unknown>;
  const $transaction = (arg: unknown, options?: unknown) =>
    typeof arg === "function"
      ? original(async (tx: Tx) => {
          deferAudit(tx);
          const result: unknown = await (arg as (tx: Tx) => Promise<unknown>)(tx);
          await sealAudit(tx);
          return result;
        }, options)
      : original(arg, options);
  Object.defineProperty(prisma, "$transaction", { value: $transaction, configurable: true });
  markAuditRoot(prisma);
  return prisma;
}

/** Opens PostgreSQL when `url` is given, otherwise PGlite in `pgliteDir` (or in memory when that is "memory://"). */
export async function openDb(opts: { url?: string; pgliteDir?: string; loadDataDir?: Blob }): Promise<OpenDb> {
  if (opts.url) {
    const prisma = sealingAudit(
      new PrismaClient({
        adapter: new PrismaPg({ connectionString: opts.url, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) }),
        transactionOptions: TX_OPTIONS,
      }),
    );
    return { prisma, kind: "postgres", close: () => prisma.$disconnect() };
  }
  const dir = opts.pgliteDir ?? "memory://";
  if (!dir.startsWith("memory://")) mkdirSync(path.dirname(dir), { recursive: true });
  const pglite = await PGlite.create(
    dir.startsWith("memory://") ? { loadDataDir: opts.loadDataDir } : { dataDir: dir },
  );
  const prisma = sealingAudit(new PrismaClient({ adapter: new PrismaPGlite(pglite), transactionOptions: TX_OPTIONS }));
  return {
    prisma,
    kind: "pglite",
    pglite,
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
