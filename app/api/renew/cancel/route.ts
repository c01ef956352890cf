import { route } from "@/lib/http/route";
import { cancel } from "@/lib/renewal/flow";
import { OrderRef } from "@/lib/api/renew";
import { holderCertificateId } from "../_holder";

/** 取消申请 */
export const POST = route(
  { session: "holder", requireSession: true, body: OrderRef, idempotency: "renew.cancel" },
  async ({ db, session, body, actor, clock, config, alipay }) =>
    cancel(db, {
      certificateId: holderCertificateId(session),
      orderId: body.orderId,
      actor,
      clock,
      keys: config,
      pay: { alipay, links: config },
    }),
);
