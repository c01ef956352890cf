import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { agent } from "../../lib/dev/sim/http";
import { freshDatabase, startPortal, type Portal } from "../../lib/dev/sim/portal";
import { flowPortalEnv } from "./env";
import { dbCpu } from "./cpu";

export interface OnePortal {
  portal: Portal;
  databaseUrl: string;
  /** statements the portal's database has run so far (pg_stat_statements), or 0 when the server does not preload it */
  statements(): Promise<number>;
  hasStatements: boolean;
  /**
   * On-CPU time of every PostgreSQL process but the backend that answers statements(): reading
   * pg_stat_statements costs its backend a millisecond or more, which a per-step figure must not count.
   */
  dbCpu(): Map<string, number>;
  stop(): Promise<void>;
}

/**
 * `npm start`'s portal as one process (so its CPU is one process's) on a fresh database of the server at `db`, for
 * the benches that read what a step or a request costs (bench/step-cpu.ts, bench/poll.ts); with `cpuProf` the
 * process writes its CPU profile there when stopped (bench/lib/cpu-profile.cjs).
 */
export async function startOnePortal(opts: {
  db: string;
  port?: string;
  root?: string;
  cpuProf?: string;
}): Promise<OnePortal> {
  const profile = opts.cpuProf ? path.resolve(opts.cpuProf) : undefined;
  if (profile) mkdirSync(profile, { recursive: true });
  const database = await freshDatabase(opts.db);
  const portal = await startPortal({
    root: opts.root,
    port: opts.port ? Number(opts.port) : undefined,
    env: {
      ...flowPortalEnv(database.url),
      PORTAL_PROCESSES: "1",
      ...(profile ? { CERTRENEW_CPU_PROF_DIR: profile } : {}),
    },
    nodeOptions: profile ? `--require ${path.resolve(import.meta.dirname, "cpu-profile.cjs")}` : undefined,
    quiet: true,
  });
  const stats = new pg.Client({ connectionString: opts.db });
  await stats.connect();
  const dbName = new URL(database.url).pathname.slice(1);
  const statsPid = String((await stats.query("SELECT pg_backend_pid() AS pid")).rows[0].pid);
  const hasStatements = await stats
    .query("SELECT 1 FROM pg_stat_statements LIMIT 1")
    .then(() => true)
    .catch(() => false);
  return {
    portal,
    databaseUrl: database.url,
    hasStatements,
    dbCpu() {
      const all = dbCpu();
      all.delete(statsPid);
      return all;
    },
    async statements() {
      if (!hasStatements) return 0;
      const r = await stats.query(
        `SELECT coalesce(sum(calls), 0)::bigint AS n FROM pg_stat_statements(false) s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`,
        [dbName],
      );
      return Number(r.rows[0].n);
    },
    async stop() {
      await stats.end();
      agent.destroy();
      await portal.stop();
      await database.drop();
      rmSync(portal.dataDir, { recursive: true, force: true });
    },
  };
}
