import client from "prom-client";
import type { Db } from "../db";
import type { Clock } from "../clock";
import { crlState, jobLag, oldestPaidNotIssuedS, ordersByState, outboxState, type JobSpec } from "./state";

/**
 * The gauges read from the database at scrape time (lib/metrics holds the counters). Every process of every
 * instance reads the same rows, so the cluster aggregation takes the maximum rather than the sum. Registered
 * once per process (lib/runtime/ops.ts); a failed read leaves the gauge unset for that scrape.
 */
export function registerDbGauges(deps: { db: () => Promise<Db>; jobs: readonly JobSpec[]; clock: Clock }): void {
  const g = globalThis as { __certrenewDbGauges?: boolean };
  if (g.__certrenewDbGauges) return;
  g.__certrenewDbGauges = true;
  const guarded = (fn: (db: Db) => Promise<void>) => async () => {
    try {
      await fn(await deps.db());
    } catch {
      // the database is down: /api/ready says so; the gauges keep no stale value
    }
  };
  new client.Gauge({
    name: "certrenew_orders",
    help: "Renewal orders by state",
    labelNames: ["state"] as const,
    aggregator: "max",
    async collect() {
      this.reset();
      await guarded(async (db) => {
        for (const [state, n] of Object.entries(await ordersByState(db))) this.set({ state }, n);
      })();
    },
  });
  new client.Gauge({
    name: "certrenew_paid_not_issued_oldest_seconds",
    help: "Age of the oldest order paid but not issued (paid or issuing), 0 when none",
    aggregator: "max",
    async collect() {
      this.reset();
      await guarded(async (db) => this.set(await oldestPaidNotIssuedS(db, deps.clock)))();
    },
  });
  new client.Gauge({
    name: "certrenew_outbox_messages",
    help: "Mail outbox rows by state (pending = backlog, failed = given up)",
    labelNames: ["state"] as const,
    aggregator: "max",
    async collect() {
      this.reset();
      await guarded(async (db) => {
        const o = await outboxState(db, deps.clock);
        this.set({ state: "pending" }, o.pending);
        this.set({ state: "failed" }, o.failed);
      })();
    },
  });
  new client.Gauge({
    name: "certrenew_outbox_oldest_due_seconds",
    help: "How long the oldest pending mail has been due",
    aggregator: "max",
    async collect() {
      this.reset();
      await guarded(async (db) => this.set((await outboxState(db, deps.clock)).oldestDueS))();
    },
  });
  new client.Gauge({
    name: "certrenew_job_lag_seconds",
    help: "Seconds a periodic job is behind its interval (0 when on time)",
    labelNames: ["job"] as const,
    aggregator: "max",
    async collect() {
      this.reset();
      await guarded(async (db) => {
        for (const [job, s] of Object.entries(await jobLag(db, deps.jobs, deps.clock))) this.set({ job }, s);
      })();
    },
  });
  new client.Gauge({
    name: "certrenew_crl_age_seconds",
    help: "Age of the newest CRL (since its thisUpdate)",
    aggregator: "max",
    async collect() {
      this.reset();
      await guarded(async (db) => {
        const c = await crlState(db, deps.clock);
        if (c.ageS !== null) this.set(c.ageS);
      })();
    },
  });
}
