import { route } from "@/lib/http/route";
import { renewalSummary } from "@/lib/renewal/flow";
import { holderCertificateId, invoiceSkipped } from "../_holder";

export const GET = route({ session: "holder", requireSession: true }, async ({ db, session, clock, config }) => {
  const summary = await renewalSummary(db, {
    certificateId: holderCertificateId(session),
    clock,
    keys: config,
    invoiceSkipped: invoiceSkipped(session),
  });
  return { ...summary, csrfToken: session!.csrfToken };
});
