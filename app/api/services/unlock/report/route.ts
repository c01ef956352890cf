import { route } from "@/lib/http/route";
import { reportUnlockFailure } from "@/lib/services/unlock";
import { UnlockReportRequest } from "@/lib/api/services";

/** The assistant could not unlock: recorded in the audit log for the helpdesk. */
export const POST = route({ body: UnlockReportRequest }, async ({ db, body, clock, actor, config }) => {
  await reportUnlockFailure(db, body, { clock, actor, config });
  return { recorded: true } as const;
});
