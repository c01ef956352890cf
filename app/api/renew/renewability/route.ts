import { RenewabilityRequest, type RenewabilityResponse } from "@/lib/api/renew";
import { route } from "@/lib/http/route";
import { renewabilityOf } from "@/lib/renewal/renewability";

/** Marks for the key list before sign-in: renewable now, too early (from when), expired, revoked. */
export const POST = route({ body: RenewabilityRequest }, async ({ db, body, clock }) => {
  return { items: await renewabilityOf(db, body.serials, clock) } satisfies RenewabilityResponse;
});
