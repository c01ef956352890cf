import type { Job } from "../jobs/scheduler";
import type { Config } from "../config";
import { getCa } from "../pki/ca";
import { mailDeliveryJob } from "../mail/worker";
import { expiryReminderJob } from "../mail/reminders";
import { orderRecoveryJob } from "../renewal/recovery";
import { paymentsSweepJob } from "../payments/jobs";
import { deliverDueNotifies } from "../payments/sandbox/notify";
import { crlRefreshJob } from "../pki/crl";
import { housekeepingJob } from "./housekeeping";

/** The Alipay emulator's notification sender (retries on Alipay's schedule); listed only with ALIPAY_SANDBOX=1. */
function sandboxNotifyJob(timeFactor: number): Job {
  return {
    name: "alipay-sandbox.notify",
    everyMs: 2_000,
    run: (db, clock) => deliverDueNotifies(db, clock, timeFactor),
  };
}

/** Every periodic job of the portal, wired to the process CA and the configuration. */
export function serverJobs(config: Config): Job[] {
  return [
    mailDeliveryJob(config),
    expiryReminderJob,
    orderRecoveryJob(getCa),
    paymentsSweepJob,
    ...(config.ALIPAY_SANDBOX ? [sandboxNotifyJob(config.ALIPAY_SANDBOX_TIME_FACTOR)] : []),
    crlRefreshJob(getCa),
    housekeepingJob,
  ];
}
