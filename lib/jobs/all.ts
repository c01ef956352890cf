import type { Job } from "./scheduler";
import { mailDeliveryJob } from "../runtime/mail";
import { expiryReminderJob } from "../mail/reminders";
import { orderRecoveryJob } from "../orders/recovery";
import { paymentsSweepJob } from "../payments/jobs";
import { sandboxNotifyJob } from "../dev/alipay-sandbox/job";
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
