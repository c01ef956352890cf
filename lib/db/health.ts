import { readdir } from "node:fs/promises";
import type { Db } from "./client";
import { MIGRATIONS_DIR } from "./paths";

export interface Health {
  ok: boolean;
  database: "ok" | "unreachable";
  migrations?: { applied: number; pending: string[]; failed: string[] };
  reason?: string;
}

// The committed migrations are the deployed code's: read once per process (a deploy starts new processes), not on
// every /api/health request. A failed read is not kept, so the next request tries again.
let committedOnce: Promise<string[]> | undefined;
function committedMigrations(): Promise<string[]> {
  committedOnce ??= readdir(/*turbopackIgnore: true*/ MIGRATIONS_DIR, { withFileTypes: true }).then(
    (list) => list.filter((d) => d.isDirectory()).map((d) => d.name),
    (e: unknown) => {
      committedOnce = undefined;
      throw e;
    },
  );
  return committedOnce;
}

/** Database reachability and migration state, for /api/health and start-up. */
export async function checkHealth(db: Db): Promise<Health> {
  let rows: { migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }[];
  try {
    rows = await db.$queryRaw`SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations"`;
  } catch (e) {
    const reason = e instanceof Error ? e.message.split("\n")[0].slice(0, 200) : "unknown";
    return { ok: false, database: "unreachable", reason };
  }
  const committed = await committedMigrations();
  const done = new Set(rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name));
  const failed = rows.filter((r) => !r.finished_at && !r.rolled_back_at).map((r) => r.migration_name);
  const pending = committed.filter((n) => !done.has(n));
  const ok = pending.length === 0 && failed.length === 0;
  return {
    ok,
    database: "ok",
    migrations: { applied: done.size, pending, failed },
    reason: ok ? undefined : "migrations not applied",
  };
}
