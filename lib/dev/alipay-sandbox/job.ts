import type { Job } from "../../jobs/scheduler";
import { getConfig } from "../../config";
import { deliverDueNotifies } from "./notify";

/** The Alipay emulator's notification sender (retries on Alipay's schedule); idle unless ALIPAY_SANDBOX=1. */
export const sandboxNotifyJob: Job = {
  name: "alipay-sandbox.notify",
  everyMs: 2_000,
  run: async (db, clock) => {
    const config = getConfig();
    return config.ALIPAY_SANDBOX ? deliverDueNotifies(db, clock, config.ALIPAY_SANDBOX_TIME_FACTOR) : null;
  },
};
