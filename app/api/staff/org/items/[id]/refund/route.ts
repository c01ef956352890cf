import { z } from "zod";
import { refundBatchItem } from "@/lib/org/refund";
import { staffRoute } from "@/lib/staff/route";
import { parseWith } from "@/lib/http/route";

/** Refunds one unused place of an organisation's batch payment (a contract place is released), audited. */
export const POST = staffRoute(
  "POST /api/staff/org/items/[id]/refund",
  {},
  async ({ db, clock, params, actor, alipay, config, locale }) => {
    const { id } = parseWith(z.object({ id: z.uuid() }), params, locale);
    const item = await refundBatchItem(db, { alipay, links: config }, { itemId: id, actor, clock });
    return { state: item.state, refundedAt: item.refundedAt?.toISOString() ?? null };
  },
);
