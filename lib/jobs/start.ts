import { getDb } from "../db";
import { log } from "../log";
import { allJobs } from "./all";
import { startScheduler } from "./scheduler";

let stop: (() => void) | undefined;

export async function startServerJobs(): Promise<void> {
  if (stop) return;
  stop = startScheduler(await getDb(), allJobs);
  log.info({ jobs: allJobs.map((j) => j.name) }, "background jobs started");
}
