import { LinkRequest } from "@/lib/api/org";
import { linkCertificate } from "@/lib/org/organisations";
import { staffRoute } from "@/lib/staff/route";

/** Sets or clears the organisation that pays for a holder's certificate (audited). */
export const POST = staffRoute(
  "POST /api/staff/org/link",
  { body: LinkRequest },
  async ({ db, clock, body, actor }) => {
    await linkCertificate(db, { ...body, actor, clock });
    return { ok: true };
  },
);
