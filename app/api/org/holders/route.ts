import { HoldersQuery } from "@/lib/api/org";
import { listOrgHolders } from "@/lib/org/holders";
import { orgRoute } from "../_org";

export const GET = orgRoute({ query: HoldersQuery }, async ({ db, clock, query, organisation }) => ({
  holders: await listOrgHolders(db, organisation, clock, query),
}));
