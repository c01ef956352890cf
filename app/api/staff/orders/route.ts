import { OrderSearch, searchOrders } from "@/lib/staff/search";
import { staffRoute } from "@/lib/staff/route";

export const GET = staffRoute("GET /api/staff/orders", { query: OrderSearch }, (ctx) =>
  searchOrders(ctx.db, ctx.query),
);
