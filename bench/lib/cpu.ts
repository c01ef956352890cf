import { readFileSync, readdirSync } from "node:fs";
import { createHash } from "node:crypto";

/**
 * On-CPU time of processes, read from /proc (Linux): the benches use it to say where a run's CPU went — the
 * portal's processes, PostgreSQL's, the bench's own — rather than only how fast the run was.
 */

/** On-CPU nanoseconds of every thread of each process whose arguments match, by pid. */
function cpuNs(match: (argv: string[]) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (!match(argv)) continue;
      let total = 0;
      for (const tid of readdirSync(`/proc/${pid}/task`))
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      out.set(pid, total);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU spent between two readings by the processes alive at the second (a process that started meanwhile counts
 * whole; one that exited is lost, which only PostgreSQL's backends do, when a pool closes an idle connection).
 */
export const spent = (before: Map<string, number>, after: Map<string, number>): number =>
  [...after].reduce((sum, [pid, ns]) => sum + ns - (before.get(pid) ?? 0), 0);

/** the portal's server processes (`npm start`'s scripts/portal-server.ts and its workers) */
export const portalCpu = () => cpuNs((argv) => argv.some((a) => a.includes("scripts/portal-server.ts")));
/**
 * every PostgreSQL process on the machine, background workers included (an upper bound for one database): the
 * postmaster by its program, the others by the title they give themselves ("postgres: …"). Only the program is
 * looked at: a bench's own command line names the server too (`--db postgresql://…/postgres`).
 */
export const dbCpu = () => cpuNs(([program]) => program.startsWith("postgres") || program.endsWith("/postgres"));
/** this process, every thread, in nanoseconds */
export const selfCpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

/** busy and total CPU time of the whole machine so far (USER_HZ ticks, from /proc/stat) */
export function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/**
 * A fixed piece of work (SHA-256 over 24 MB, then JSON round trips of a renewal-sized document), timed in this
 * process's CPU, median of five. This machine has slow and fast stretches, where the same code takes up to ~1.8× the
 * CPU (a busy host; steal time stays under 1 %): the same figure before and after a run says which stretch the
 * run was in, so runs of different hours can be compared.
 */
export function referenceWorkMs(): number {
  const data = Buffer.alloc(64 * 1024, 7);
  const doc = {
    order: { id: "0b6f6d1e-3a5c-4f8e-9d61-2f0c7a1b9e44", state: "awaiting_payment", priceFen: 10000, years: 1 },
    handler: { name: "张三", idType: "id_card", mobile: "13800000000", email: "holder@example.cn" },
    steps: Array.from({ length: 20 }, (_, i) => ({ step: i, at: new Date(1_700_000_000_000 + i).toISOString() })),
  };
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 75; i++) createHash("sha256").update(data).digest();
    for (let i = 0; i < 1500; i++) JSON.parse(JSON.stringify(doc));
    const c = process.cpuUsage(c0);
    times.push((c.user + c.system) / 1000);
  }
  return times.sort((a, b) => a - b)[2];
}
