import { z } from "zod";
import { route } from "@/lib/http/route";
import { confirmOrder } from "@/lib/renewal/flow";
import { holderCertificateId } from "../_holder";

const Body = z.object({ orderId: z.string().uuid() });

/** 确认提交 */
export const POST = route(
  { session: "holder", requireSession: true, body: Body, idempotency: "renew.confirm" },
  async ({ db, session, body, actor, clock }) =>
    confirmOrder(db, { certificateId: holderCertificateId(session), orderId: body.orderId, actor, clock }),
);
