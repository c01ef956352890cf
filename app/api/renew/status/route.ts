import { route } from "@/lib/http/route";
import { orderStatus } from "@/lib/renewal/flow";
import { holderCertificateId, invoiceSkipped } from "../_holder";

export const GET = route({ session: "holder", requireSession: true }, async ({ db, session }) =>
  orderStatus(db, { certificateId: holderCertificateId(session), invoiceSkipped: invoiceSkipped(session) }),
);
