import type { Job } from "../jobs/scheduler";
import { sweepPayments } from "./alipay/query";

/** Queries orders stuck in awaiting_payment, expires them past their deadline, retries pending refunds. */
export const paymentsSweepJob: Job = {
  name: "payments.sweep",
  everyMs: 60_000,
  run: (db, clock) => sweepPayments(db, clock),
};
