import type { Job } from "../jobs/scheduler";
import { sweepPayments } from "./alipay/query";
import type { PaymentDeps } from "./alipay/client";

/** Queries orders stuck in awaiting_payment, expires them past their deadline, retries pending refunds. */
export const paymentsSweepJob = (pay: PaymentDeps): Job => ({
  name: "payments.sweep",
  everyMs: 60_000,
  run: (db, clock) => sweepPayments(db, pay, clock),
});
