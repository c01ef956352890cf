import { FeePreviewQuery, previewFee } from "@/lib/staff/fees";
import { staffRoute } from "@/lib/staff/route";

export const GET = staffRoute("GET /api/staff/fee-tiers/preview", { query: FeePreviewQuery }, (ctx) =>
  previewFee(ctx.db, ctx.query),
);
