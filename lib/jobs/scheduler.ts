import type { Db } from "../db";
import { systemClock, type Clock } from "../clock";
import { log } from "../log";
import { runExclusive } from "./lease";

export interface Job {
  name: string;
  everyMs: number;
  /** how long the lease is held if the instance dies mid-run */
  leaseMs?: number;
  run(db: Db, clock: Clock): Promise<unknown>;
}

/** Starts each job on its interval; every run is guarded by a DB lease. Returns a stop function. */
export function startScheduler(db: Db, jobs: readonly Job[], clock: Clock = systemClock): () => void {
  const timers = jobs.map((job) => {
    let running = false;
    const tick = async () => {
      if (running) return;
      running = true;
      try {
        await runExclusive(db, job.name, job.leaseMs ?? Math.max(job.everyMs * 2, 60_000), clock, () =>
          job.run(db, clock),
        );
      } catch (err) {
        log.warn({ err, job: job.name }, "job run failed");
      } finally {
        running = false;
      }
    };
    void tick();
    return setInterval(tick, job.everyMs);
  });
  return () => timers.forEach(clearInterval);
}
