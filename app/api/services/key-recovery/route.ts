import { KeyRecoveryRequest, type KeyRecoveryResponse } from "@/lib/api/kmc";
import { route } from "@/lib/http/route";
import { getKmc } from "@/lib/kmc/keys";
import { deliverRecovery } from "@/lib/kmc/recovery";
import { provenHolder } from "./_proof";

/**
 * Key recovery, delivered: the holder's key signs a login challenge for its certificate, and an approved recovery of
 * the same holder's encryption key is enveloped to that key (only the token can open it).
 */
export const POST = route({ body: KeyRecoveryRequest }, async ({ db, body, config, clock, actor }) => {
  const holderCertificate = await provenHolder(db, { body, origin: config.publicOrigin, clock });
  const delivered = await deliverRecovery(db, {
    id: body.recoveryId,
    holderCertificate,
    kmc: getKmc(),
    actor: { ...actor, type: "holder", id: holderCertificate.id },
    clock,
  });
  return {
    envelope: delivered.envelope.toString("base64"),
    certificate: Buffer.from(delivered.encryptionCertificate.der).toString("base64"),
    serial: delivered.encryptionCertificate.serial,
  } satisfies KeyRecoveryResponse;
});
