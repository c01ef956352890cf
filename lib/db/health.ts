import { readdir } from "node:fs/promises";
import { performance } from "node:perf_hooks";
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

/** How old a probe /api/health may answer from (see recentHealth). */
const HEALTH_MAX_AGE_MS = 1000;

const recent = new WeakMap<Db, { at: number; health: Promise<Health> }>();

/**
 * checkHealth for /api/health, shared by the requests of one process for up to `maxAgeMs` (1 s): the answer says
 * how the database was at most a second ago. A load balancer probes every few seconds and gets a fresh probe each
 * time; a burst of probes costs one query per second and process instead of one per request (a query was most of
 * the route's cost, bench/README.md), and the requests that arrive while a probe runs wait for that probe instead
 * of each taking a connection from the pool. The age counts from the probe's start, so a database that hangs gets
 * one new probe a second, not one per request. A probe that fails outright (not "down": an exception) is not
 * kept. /api/ready and start-up call checkHealth itself.
 */
export function recentHealth(db: Db, maxAgeMs = HEALTH_MAX_AGE_MS, now = performance.now()): Promise<Health> {
  const last = recent.get(db);
  if (last && now - last.at < maxAgeMs && now >= last.at) return last.health;
  const health = checkHealth(db);
  recent.set(db, { at: now, health });
  health.catch(() => {
    if (recent.get(db)?.health === health) recent.delete(db);
  });
  return health;
}
