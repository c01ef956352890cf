import { MINUTE } from "../clock";
import { writeAuditCheckpoint } from "../audit";
import { log } from "../log";
import type { Job } from "../jobs/scheduler";

/** Every 10 minutes: check the audit events since the last checkpoint and sign the new head into the file. */
export const auditCheckpointJob: Job = {
  name: "audit.checkpoint",
  everyMs: 10 * MINUTE,
  async run(db, clock) {
    const r = await writeAuditCheckpoint(db, clock);
    if (r.problem) log.error({ audit: r.problem }, "audit chain does not verify: no checkpoint signed");
    return r.written ? { seq: r.written.seq } : { problem: r.problem?.problem ?? null };
  },
};
