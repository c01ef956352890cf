import { OrganisationRequest } from "@/lib/api/org";
import { upsertOrganisation } from "@/lib/org/organisations";
import { staffRoute } from "@/lib/staff/route";

/** orgstaff (#24): an administrator registers an organisation (by its 统一社会信用代码), audited. */
export const POST = staffRoute("POST /api/staff/organisations", { body: OrganisationRequest }, async (ctx) => {
  const org = await upsertOrganisation(ctx.db, ctx.body, ctx.actor, ctx.clock);
  return { id: org.id, creditCode: org.creditCode };
});
