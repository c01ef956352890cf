import type { Job } from "../jobs/scheduler";
import type { Config } from "../config";
import { getCa } from "../pki/ca";
import { mailDeliveryJob } from "./mail";
import { expiryReminderJob } from "../mail/reminders";
import { orderRecoveryJob } from "../renewal/recovery";
import { paymentsSweepJob } from "../payments/jobs";
import { alipayFor } from "../payments/alipay/client";
import { sandboxNotifyJob } from "../dev/alipay-sandbox/job";
import { crlRefreshJob } from "../pki/crl";
import { housekeepingJob } from "./housekeeping";
import { anonymiseJob } from "../renewal/retention";
import { smsDeliveryJob } from "../sms/worker";

/** Every periodic job of the portal, wired to the process CA, the configuration and the Alipay client made from it. */
export function serverJobs(config: Config): Job[] {
  return [
    mailDeliveryJob(config),
    expiryReminderJob(config),
    orderRecoveryJob(getCa),
    paymentsSweepJob({ alipay: () => alipayFor(config), links: config }),
    ...(config.ALIPAY_SANDBOX ? [sandboxNotifyJob(config.ALIPAY_SANDBOX_TIME_FACTOR)] : []),
    crlRefreshJob(getCa),
    housekeepingJob,
    anonymiseJob(config),
    smsDeliveryJob(config),
  ];
}
