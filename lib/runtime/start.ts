import { getDb } from "../db";
import { getConfig } from "../config";
import { log } from "../log";
import { startScheduler } from "../jobs/scheduler";
import { serverJobs } from "./jobs";
import { systemClock } from "../clock";
import { smsMode } from "../sms";
import { startSmsSandbox } from "../dev/sms-sandbox/server";

let stop: (() => void) | undefined;

export async function startServerJobs(): Promise<void> {
  if (stop) return;
  const jobs = serverJobs(getConfig());
  stop = startScheduler(await getDb(), jobs);
  if (smsMode(getConfig()) === "sandbox") startSmsSandbox(await getDb(), getConfig(), systemClock);
  log.info({ jobs: jobs.map((j) => j.name) }, "background jobs started");
}
