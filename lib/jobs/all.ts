import type { Job } from "./scheduler";
import { mailDeliveryJob } from "../mail/worker";
import { expiryReminderJob } from "../mail/reminders";
import { orderRecoveryJob } from "../renewal/recovery";
import { paymentsSweepJob, sandboxNotifyJob } from "../payments/jobs";
import { crlRefreshJob } from "../pki/crl";
import { housekeepingJob } from "./housekeeping";

/** Every periodic job of the portal; each domain exports its Job and it is listed here. */
export const allJobs: Job[] = [
  mailDeliveryJob,
  expiryReminderJob,
  orderRecoveryJob,
  paymentsSweepJob,
  sandboxNotifyJob,
  crlRefreshJob,
  housekeepingJob,
];
