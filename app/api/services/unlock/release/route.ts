import { route } from "@/lib/http/route";
import { releaseSoPin } from "@/lib/services/unlock";
import { RequestAndCode } from "@/lib/api/services";

/** The code, once: the token's current and next SO PIN for this one unlock (never stored by the page). */
export const POST = route({ body: RequestAndCode }, async ({ db, body, clock, actor, config }) =>
  releaseSoPin(db, body, { clock, actor, config }),
);
