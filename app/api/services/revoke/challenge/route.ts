import { z } from "zod";
import { route } from "@/lib/http/route";
import { revocationChallenge } from "@/lib/services/revoke";
import { CertificateB64, rateKey } from "../../_schemas";

const Body = z.object({ certificate: CertificateB64 });

/** The `revoke` challenge for the certificate on the key; refused up front when it cannot be revoked now. */
export const POST = route({ body: Body }, async ({ db, body, config, clock, actor }) => {
  const c = await revocationChallenge(db, {
    certificateDer: body.certificate,
    origin: config.publicOrigin,
    clock,
    rateKey: rateKey(actor.ip),
  });
  return { challenge: c.text, expiresAt: c.expiresAt.toISOString() };
});
