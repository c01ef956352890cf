import { z } from "zod";
import { route } from "@/lib/http/route";
import { certificateStatus } from "@/lib/services/status";
import { CertificateB64, rateKey } from "../_schemas";

const Body = z.union([z.object({ serial: z.string().min(1).max(200) }), z.object({ certificate: CertificateB64 })]);

/** 证书状态查询 by typed serial (no personal data) or by the certificate read from the key. */
export const POST = route({ body: Body }, async ({ db, body, clock, actor }) =>
  certificateStatus(db, "serial" in body ? { serial: body.serial } : { certificateDer: body.certificate }, {
    clock,
    rateKey: rateKey(actor.ip),
  }),
);
