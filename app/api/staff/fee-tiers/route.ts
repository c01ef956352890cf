import { createFeeTier, listFeeTiers } from "@/lib/fees/tiers";
import { FeeTierForm } from "@/lib/staff/fees";
import { staffRoute } from "@/lib/staff/route";

export const GET = staffRoute("GET /api/staff/fee-tiers", {}, async (ctx) => ({ tiers: await listFeeTiers(ctx.db) }));

export const POST = staffRoute("POST /api/staff/fee-tiers", { body: FeeTierForm }, async (ctx) => ({
  tier: await createFeeTier(ctx.db, ctx.body, ctx.actor, ctx.clock),
}));
