import { z } from "zod";
import { OrganisationRequest } from "@/lib/api/org";
import { upsertOrganisation } from "@/lib/org/organisations";
import { staffRoute } from "@/lib/staff/route";
import { parseWith } from "@/lib/http/route";

/** orgstaff (#24): an administrator edits an organisation (name, credit code, contact, contract), audited. */
export const PATCH = staffRoute("PATCH /api/staff/organisations/[id]", { body: OrganisationRequest }, async (ctx) => {
  const { id } = parseWith(z.object({ id: z.uuid() }), ctx.params, ctx.locale);
  const org = await upsertOrganisation(ctx.db, { ...ctx.body, id }, ctx.actor, ctx.clock);
  return { id: org.id, creditCode: org.creditCode };
});
