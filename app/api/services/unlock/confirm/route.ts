import { route } from "@/lib/http/route";
import { confirmUnlock } from "@/lib/services/unlock";
import { UnlockConfirmRequest } from "@/lib/api/services";

/** The assistant set the new PIN and rotated the SO PIN: the server moves the token's SO PIN version. */
export const POST = route({ body: UnlockConfirmRequest }, async ({ db, body, clock, actor, config }) =>
  confirmUnlock(db, body, { clock, actor, config }),
);
