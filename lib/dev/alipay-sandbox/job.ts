import type { Job } from "../../jobs/scheduler";
import { deliverDueNotifies } from "./notify";

/** The Alipay emulator's notification sender (retries on Alipay's schedule); listed only with ALIPAY_SANDBOX=1. */
export function sandboxNotifyJob(timeFactor: number): Job {
  return {
    name: "alipay-sandbox.notify",
    everyMs: 2_000,
    run: (db, clock) => deliverDueNotifies(db, clock, timeFactor),
  };
}
