import { actorFields, appendAudit, type Actor } from "@/lib/audit";
import type { Clock } from "@/lib/clock";
import type { Tx } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import type { Ca } from "./ca";
import { generateCrl } from "./crl";
import { forgetOcsp } from "./ocsp";

/** RFC 5280 CRLReason codes accepted for revocation (certificateHold and removeFromCRL are not supported). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export interface RevokeInput {
  serial: string;
  /** a reason name or its RFC 5280 code */
  reason: RevocationReason | number;
  clock: Clock;
  actor: Actor;
  ca: Ca;
}

function reasonCode(reason: RevocationReason | number): number {
  const code = typeof reason === "number" ? reason : REVOCATION_REASONS[reason];
  if (code === undefined || !(Object.values(REVOCATION_REASONS) as number[]).includes(code)) {
    throw new DomainError("REVOCATION_REASON_INVALID", { reason: String(reason) });
  }
  return code;
}

/**
 * Revokes a certificate by serial inside the caller's transaction: marks it revoked (time, reason), records an
 * audit event, drops its pre-signed OCSP response (so every instance re-signs from the new status) and issues a
 * new CRL. Revoking twice is CERT_ALREADY_REVOKED and changes nothing.
 */
export async function revokeCertificate(tx: Tx, input: RevokeInput) {
  const code = reasonCode(input.reason);
  const serial = input.serial.trim().toLowerCase().replace(/:/g, "");
  const cert = await tx.certificate.findUnique({ where: { serial }, select: { id: true, status: true } });
  if (!cert) throw new DomainError("CERT_NOT_FOUND", { serial });
  const at = new Date(Math.floor(input.clock.now().getTime() / 1000) * 1000);
  const { count } = await tx.certificate.updateMany({
    where: { id: cert.id, status: { not: "revoked" } },
    data: { status: "revoked", revokedAt: at, revocationReason: code },
  });
  if (count === 0) throw new DomainError("CERT_ALREADY_REVOKED", { serial });
  await appendAudit(
    tx,
    {
      ...actorFields(input.actor),
      action: "certificate.revoked",
      targetType: "certificate",
      targetId: cert.id,
      fromState: cert.status,
      toState: "revoked",
      data: { serial, reason: code },
    },
    input.clock,
  );
  await tx.ocspResponse.deleteMany({ where: { serial } });
  forgetOcsp(serial);
  await generateCrl(tx, { ca: input.ca, clock: input.clock });
  return { id: cert.id, serial, revokedAt: at, reason: code };
}
