import { z } from "zod";
import { route } from "@/lib/http/route";
import { reportUnlockFailure } from "@/lib/services/unlock";
import { RequestAndCode } from "../_schemas";

const Body = RequestAndCode.extend({ errorCode: z.string().regex(/^[A-Z_]{1,64}$/) });

/** The assistant could not unlock: recorded in the audit log for the helpdesk. */
export const POST = route({ body: Body }, async ({ db, body, clock, actor, config }) => {
  await reportUnlockFailure(db, body, { clock, actor, config });
  return { recorded: true };
});
