import type { Job } from "../jobs/scheduler";
import type { Config } from "../config";
import { getCa } from "../pki/ca";
import { mailDeliveryJob } from "./mail";
import { expiryReminderJob } from "../mail/reminders";
import { orderRecoveryJob, upstreamIssuanceJob } from "../renewal/recovery";
import { processUpstreamDeps } from "../renewal/upstream-issue";
import { upstreamRevocationJob } from "../services/revocation-intents";
import { paymentsSweepJob } from "../payments/jobs";
import { alipayFor } from "../payments/alipay/client";
import { sandboxNotifyJob } from "../dev/alipay-sandbox/job";
import { crlRefreshJob } from "../pki/crl";
import { upstreamCrlJob } from "../registry/upstream-crl";
import { housekeepingJob } from "./housekeeping";
import { auditCheckpointJob } from "./audit-checkpoint";
import { auditMailJob } from "./audit-mail";
import { anonymiseJob } from "../renewal/retention";
import { smsDeliveryJob } from "../sms/worker";
import { orgReminderJob, orgSweepJob } from "../org/sweep";

/** Every periodic job of the portal, wired to the process CA, the configuration and the Alipay client made from it. */
export function serverJobs(config: Config): Job[] {
  const pay = { alipay: () => alipayFor(config), links: config };
  // RA mode (ISSUER=cmp | cfssl): the upstream issues and revokes; the portal signs no CRL
  const upstream = processUpstreamDeps(pay);
  return [
    mailDeliveryJob(config),
    expiryReminderJob(config),
    orderRecoveryJob(getCa, upstream),
    paymentsSweepJob(pay),
    ...(config.ALIPAY_SANDBOX ? [sandboxNotifyJob(config.ALIPAY_SANDBOX_TIME_FACTOR)] : []),
    ...(upstream
      ? [
          upstreamIssuanceJob(upstream),
          upstreamRevocationJob(upstream.upstream),
          ...(config.UPSTREAM_CRL_URL ? [upstreamCrlJob(config.UPSTREAM_CRL_URL, config.UPSTREAM_TIMEOUT_MS)] : []),
        ]
      : [crlRefreshJob(getCa)]),
    housekeepingJob,
    auditCheckpointJob,
    ...(config.AUDIT_MAIL_TO ? [auditMailJob(config)] : []),
    anonymiseJob(config),
    smsDeliveryJob(config),
    // 大客户专区 (bigclient): expired batches closed, the organisations' expiry mails
    orgSweepJob(pay),
    orgReminderJob,
  ];
}
