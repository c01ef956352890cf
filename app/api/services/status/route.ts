import { StatusRequest } from "@/lib/api/services";
import { route } from "@/lib/http/route";
import { certificateStatus } from "@/lib/services/status";
import { rateKey } from "../_rate-key";

/** 证书状态查询 by typed serial (no personal data) or by the certificate read from the key. */
export const POST = route({ body: StatusRequest }, async ({ db, body, clock, actor }) =>
  certificateStatus(db, "serial" in body ? { serial: body.serial } : { certificateDer: body.certificate }, {
    clock,
    rateKey: rateKey(actor.ip),
  }),
);
