import { route } from "@/lib/http/route";
import { orderStatus } from "@/lib/renewal/flow";
import { holderCertificateId, invoiceSkipped } from "../_holder";

export const GET = route({ session: "holder", requireSession: true }, async ({ db, session, config }) =>
  orderStatus(db, {
    certificateId: holderCertificateId(session),
    invoiceSkipped: invoiceSkipped(session),
    keys: config,
  }),
);
