import { verifyAuditChain } from "@/lib/audit";
import { staffRoute } from "@/lib/staff/route";

export const GET = staffRoute("GET /api/staff/audit/verify", {}, (ctx) => verifyAuditChain(ctx.db));
