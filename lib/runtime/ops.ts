import { timingSafeEqual, createHash } from "node:crypto";
import { getDb } from "../db";
import { getConfig } from "../config";
import { systemClock } from "../clock";
import { getCa } from "../pki/ca";
import { registerDbGauges } from "../ops/metrics";
import { readiness, type Readiness } from "../ops/state";
import { serverJobs } from "./jobs";

/** The periodic jobs' names and intervals, as this configuration runs them. */
function jobSpecs() {
  return serverJobs(getConfig()).map((j) => ({ name: j.name, everyMs: j.everyMs }));
}

/** The database gauges of /metrics, wired to this process's database and jobs (idempotent). */
export function registerOpsMetrics(): void {
  registerDbGauges({ db: getDb, jobs: jobSpecs(), clock: systemClock });
}

/** /api/ready's checks for this process's configuration. */
export async function processReadiness(): Promise<Readiness> {
  const config = getConfig();
  return readiness(await getDb(), {
    ca: getCa,
    jobs: jobSpecs(),
    jobsEnabled: config.JOBS_ENABLED,
    clock: systemClock,
  });
}

/** Whether the request carries `Authorization: Bearer <METRICS_TOKEN>` (false when no token is configured). */
export function hasMetricsToken(req: Request): boolean {
  const token = getConfig().METRICS_TOKEN;
  const given = /^Bearer (.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
  if (!token || !given) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}
