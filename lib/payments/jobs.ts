import type { Job } from "../jobs/scheduler";
import { getConfig } from "../config";
import { sweepPayments } from "./alipay/query";
import { deliverDueNotifies } from "./sandbox/notify";

/** Queries orders stuck in awaiting_payment, expires them past their deadline, retries pending refunds. */
export const paymentsSweepJob: Job = {
  name: "payments.sweep",
  everyMs: 60_000,
  run: (db, clock) => sweepPayments(db, clock),
};

/** The Alipay emulator's notification sender (retries on Alipay's schedule); idle unless ALIPAY_SANDBOX=1. */
export const sandboxNotifyJob: Job = {
  name: "alipay-sandbox.notify",
  everyMs: 2_000,
  run: async (db, clock) => {
    const config = getConfig();
    return config.ALIPAY_SANDBOX ? deliverDueNotifies(db, clock, config.ALIPAY_SANDBOX_TIME_FACTOR) : null;
  },
};
