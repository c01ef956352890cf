import { z } from "zod";
import { route } from "@/lib/http/route";
import { confirmUnlock } from "@/lib/services/unlock";
import { RequestAndCode } from "../_schemas";

const Body = RequestAndCode.extend({ usedAlternative: z.boolean().default(false) });

/** The assistant set the new PIN and rotated the SO PIN: the server moves the token's SO PIN version. */
export const POST = route({ body: Body }, async ({ db, body, clock, actor, config }) =>
  confirmUnlock(db, body, { clock, actor, config }),
);
