import { HoldersQuery } from "@/lib/api/org";
import { holdersCsv, listOrgHolders } from "@/lib/org/holders";
import { formatDate } from "@/lib/messages/format";
import { orgRoute } from "../_org";

/** 到期报表: CSV with a UTF-8 BOM (Excel on Chinese Windows). */
export const GET = orgRoute({ query: HoldersQuery }, async ({ db, clock, query, organisation, locale }) => {
  const csv = holdersCsv(await listOrgHolders(db, organisation, clock, query), locale);
  const name = `expiry-report-${organisation.creditCode}-${formatDate(clock.now())}.csv`;
  return new Response(csv, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${name}"`,
      "cache-control": "no-store",
    },
  });
});
