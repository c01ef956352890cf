import { StatusRequest } from "@/lib/api/services";
import { route } from "@/lib/http/route";
import { getUpstreamIssuer } from "@/lib/pki/issuers";
import { upstreamOcspStatus } from "@/lib/pki/issuers/ocsp-client";
import { certificateStatus } from "@/lib/services/status";
import { rateKey } from "../_rate-key";

/** 证书状态查询 by typed serial (no personal data) or by the certificate read from the key. */
export const POST = route({ body: StatusRequest }, async ({ db, body, clock, actor, config }) =>
  certificateStatus(db, "serial" in body ? { serial: body.serial } : { certificateDer: body.certificate }, {
    clock,
    rateKey: rateKey(actor.ip),
    // RA mode: the operator's CA is the authority on revocation; its OCSP answer (cached a minute) is asked
    ...(getUpstreamIssuer()
      ? { upstreamOcsp: (c) => upstreamOcspStatus(c, { timeoutMs: Math.min(config.UPSTREAM_TIMEOUT_MS, 5000) }) }
      : {}),
  }),
);
