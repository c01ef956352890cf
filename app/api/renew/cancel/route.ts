import { z } from "zod";
import { route } from "@/lib/http/route";
import { cancel } from "@/lib/renewal/flow";
import { holderCertificateId } from "../_holder";

const Body = z.object({ orderId: z.string().uuid() });

/** 取消申请 */
export const POST = route(
  { session: "holder", requireSession: true, body: Body, idempotency: "renew.cancel" },
  async ({ db, session, body, actor, clock }) =>
    cancel(db, { certificateId: holderCertificateId(session), orderId: body.orderId, actor, clock }),
);
