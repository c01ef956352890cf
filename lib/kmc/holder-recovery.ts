import type { Clock } from "../clock";
import type { Db } from "../db";
import type { Certificate, KmcRecovery } from "../generated/prisma/client";
import { actorFields, appendAudit, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import { parseCertificate } from "../pki/x509";
import { isSm2Spki } from "../token/enveloped-key";

/**
 * The holder's half of key recovery (/recover): the holder proves a signing key (a signed login challenge, checked by
 * the caller), sees the escrowed encryption keys of the same holder (same ID number) with the state of their latest
 * request, and asks for one. A holder's request needs two different staff members' approvals (recovery.ts,
 * decideRecovery); the approved key is then delivered by deliverRecovery to the key the holder proves.
 */

export const HOLDER_RECOVERY_REASONS = ["token_lost", "token_broken", "old_data"] as const;
export type HolderRecoveryReason = (typeof HOLDER_RECOVERY_REASONS)[number];

/** How a holder's request's reason is stored (the staff console shows it in its language). */
export const holderReasonText = (reason: HolderRecoveryReason) => `holder:${reason}`;

const OPEN_STATES = ["requested", "endorsed", "approved"] as const;

export interface HolderEscrowedKey {
  serial: string;
  notBefore: string;
  notAfter: string;
  status: string;
  /** the encryption certificate paired with the certificate that proved the key */
  current: boolean;
  recovery: {
    id: string;
    state: KmcRecovery["state"];
    createdAt: string;
    decidedAt: string | null;
    /** staff approvals so far (a holder's request needs 2) */
    approvals: number;
  } | null;
}

/** Only an active SM2 signing certificate can ask and receive: the envelope is sealed to its SM2 key. */
function requireSm2Signing(holder: Certificate): void {
  if (holder.usage !== "signing" || holder.status !== "active") throw new DomainError("KMC_RECOVERY_WRONG_HOLDER");
  if (!isSm2Spki(parseCertificate(Buffer.from(holder.der)).spki)) throw new DomainError("KMC_RECOVERY_NEEDS_SM2");
}

function approvalsOf(r: KmcRecovery): number {
  if (r.state === "approved" || r.state === "delivered") return 2;
  return (r.requestedById ? 1 : 0) + (r.endorsedById ? 1 : 0);
}

/** The escrowed encryption keys of `holder`'s holder, newest first, each with its latest recovery request. */
export async function holderEscrowedKeys(db: Db, holder: Certificate): Promise<HolderEscrowedKey[]> {
  requireSm2Signing(holder);
  const certificates = await db.certificate.findMany({
    where: { holderIdHash: holder.holderIdHash, usage: "encryption", kmcKey: { isNot: null } },
    orderBy: { notBefore: "desc" },
    take: 20,
    include: { kmcKey: { include: { recoveries: { orderBy: { createdAt: "desc" }, take: 1 } } } },
  });
  if (certificates.length === 0) throw new DomainError("KMC_NO_ESCROWED_KEY");
  return certificates.map((c) => {
    const r = c.kmcKey!.recoveries[0];
    return {
      serial: c.serial,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      status: c.status,
      current: c.signingCertificateId === holder.id,
      recovery: r
        ? {
            id: r.id,
            state: r.state,
            createdAt: r.createdAt.toISOString(),
            decidedAt: r.decidedAt?.toISOString() ?? null,
            approvals: approvalsOf(r),
          }
        : null,
    };
  });
}

/**
 * The holder asks to recover the escrowed key of their encryption certificate `serial`. An open request for that key
 * (waiting or approved) is answered again instead of a second one.
 */
export async function requestRecoveryByHolder(
  db: Db,
  args: { holder: Certificate; serial: string; reason: HolderRecoveryReason; actor: Actor; clock: Clock },
): Promise<KmcRecovery> {
  requireSm2Signing(args.holder);
  const serial = args.serial.trim().toLowerCase().replace(/:/g, "");
  return withTx(db, async (tx) => {
    const cert = await tx.certificate.findUnique({ where: { serial }, include: { kmcKey: true } });
    // another holder's certificate looks the same as none: nothing about it is revealed
    if (!cert || cert.usage !== "encryption" || !cert.kmcKey || cert.holderIdHash !== args.holder.holderIdHash)
      throw new DomainError("KMC_KEY_NOT_FOUND");
    const open = await tx.kmcRecovery.findFirst({
      where: { kmcKeyId: cert.kmcKey.id, state: { in: [...OPEN_STATES] } },
      orderBy: { createdAt: "desc" },
    });
    if (open) return open;
    const recovery = await tx.kmcRecovery.create({
      data: {
        kmcKeyId: cert.kmcKey.id,
        reason: holderReasonText(args.reason),
        requestedById: null,
        holderCertificateId: args.holder.id,
        createdAt: args.clock.now(),
      },
    });
    await appendAudit(
      tx,
      {
        ...actorFields({ ...args.actor, type: "holder", id: args.holder.id }),
        action: "kmc.recovery_requested",
        targetType: "kmc_recovery",
        targetId: recovery.id,
        toState: "requested",
        data: { serial, reason: recovery.reason, bySerial: args.holder.serial },
      },
      args.clock,
    );
    return recovery;
  });
}
