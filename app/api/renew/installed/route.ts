import { z } from "zod";
import { route } from "@/lib/http/route";
import { orderView } from "@/lib/renewal/flow";
import { confirmInstalled } from "@/lib/renewal/issue-order";
import { holderCertificateId } from "../_holder";

const Body = z.object({ orderId: z.string().uuid() });

/** The assistant wrote and read back the new certificate: the renewal is complete (下证成功). */
export const POST = route({ session: "holder", requireSession: true, body: Body, idempotency: "renew.installed" }, async ({ db, session, body, actor, clock }) => {
  const order = await confirmInstalled(db, { orderId: body.orderId, actor, clock, certificateId: holderCertificateId(session) });
  return orderView(db, order);
});
