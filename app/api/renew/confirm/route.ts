import { route } from "@/lib/http/route";
import { confirmOrder } from "@/lib/renewal/flow";
import { ConfirmRequest } from "@/lib/api/renew";
import { holderCertificateId } from "../_holder";

/** 确认提交 */
export const POST = route(
  { session: "holder", requireSession: true, body: ConfirmRequest, idempotency: "renew.confirm" },
  async ({ db, session, body, actor, clock, config }) =>
    confirmOrder(db, {
      certificateId: holderCertificateId(session),
      orderId: body.orderId,
      consent: body.consent,
      actor,
      clock,
      keys: config,
    }),
);
