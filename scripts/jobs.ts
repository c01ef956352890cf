import { ConfigError, getConfig } from "../lib/config";
import { getDb } from "../lib/db";
import { log } from "../lib/log";
import { startScheduler } from "../lib/jobs/scheduler";
import { serverJobs } from "../lib/runtime/jobs";

/**
 * The background jobs without a web server (release: `node scripts/jobs.mjs`; deploy/systemd/certrenew-jobs.service).
 * In production the portal instances run with JOBS_ENABLED=0 and one or two machines run this; every run is
 * guarded by a database lease, so two of these never work the same job at once.
 */
let config;
try {
  config = getConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`Configuration error: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
const jobs = serverJobs(config);
const stop = startScheduler(await getDb(), jobs);
log.info({ jobs: jobs.map((j) => j.name) }, "background jobs started");
const quit = () => {
  stop();
  setTimeout(() => process.exit(0), 200);
};
process.on("SIGTERM", quit);
process.on("SIGINT", quit);
