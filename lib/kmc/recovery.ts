import type { Db, Tx } from "../db";
import type { Clock } from "../clock";
import type { Certificate, KmcRecovery, KmcRecoveryState } from "../generated/prisma/client";
import { actorFields, appendAudit, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import { parseCertificate, sha256Hex } from "../pki/x509";
import { isSm2Spki } from "../token/enveloped-key";
import { envelopeFor, requireKmc, type Kmc } from "./keys";

/**
 * Key recovery (GM/T 0034): a holder who lost the key holding an encryption key pair (a broken USB key, a token
 * re-issued in person) gets the escrowed key back to decrypt old data. Four eyes: one staff member with the `kmc`
 * permission asks, a second, different one approves — or the holder asks (/recover, proving a key of the same holder)
 * and two different staff members approve; then the key is enveloped to a signing key the holder proved on the token
 * (the caller verified a challenge signature by that key), and to nothing else. Every step is audited; the envelope
 * itself is never stored or logged.
 */

const REASON_MAX = 500;
/** how long the key a recovery was delivered to may fetch it again (its import into the token failed) */
const REDELIVERY_MS = 24 * 3600_000;

function cleanReason(reason: string): string {
  const r = reason.trim();
  if (!r || r.length > REASON_MAX)
    throw new DomainError("VALIDATION_FAILED", { fields: { reason: "1-500 characters" } });
  return r;
}

async function loadRecovery(db: Tx, id: string): Promise<KmcRecovery> {
  const found = await db.kmcRecovery.findUnique({ where: { id } });
  if (!found) throw new DomainError("KMC_RECOVERY_NOT_FOUND");
  return found;
}

/** Staff member A asks to recover the key of encryption certificate `serial`. */
export async function requestRecovery(
  db: Db,
  args: { serial: string; reason: string; actor: Actor & { id: string }; clock: Clock },
): Promise<KmcRecovery> {
  const reason = cleanReason(args.reason);
  const serial = args.serial.trim().toLowerCase().replace(/:/g, "");
  return withTx(db, async (tx) => {
    const cert = await tx.certificate.findUnique({ where: { serial }, include: { kmcKey: true } });
    if (!cert || cert.usage !== "encryption" || !cert.kmcKey) throw new DomainError("KMC_KEY_NOT_FOUND");
    const recovery = await tx.kmcRecovery.create({
      data: { kmcKeyId: cert.kmcKey.id, reason, requestedById: args.actor.id, createdAt: args.clock.now() },
    });
    await appendAudit(
      tx,
      {
        ...actorFields(args.actor),
        action: "kmc.recovery_requested",
        targetType: "kmc_recovery",
        targetId: recovery.id,
        toState: "requested",
        data: { serial, reason },
      },
      args.clock,
    );
    return recovery;
  });
}

/**
 * A staff decision on a request. A staff request needs one more staff member (never the requester): approve →
 * `approved`. A holder's own request needs two different staff members: the first approval → `endorsed`, the second
 * (never the endorser) → `approved`. Rejection by any deciding staff member ends either.
 */
export async function decideRecovery(
  db: Db,
  args: { id: string; approve: boolean; actor: Actor & { id: string }; clock: Clock },
): Promise<KmcRecovery> {
  return withTx(db, async (tx) => {
    const recovery = await loadRecovery(tx, args.id);
    const holderRequest = recovery.requestedById === null;
    const open = holderRequest ? ["requested", "endorsed"] : ["requested"];
    if (!open.includes(recovery.state)) throw new DomainError("KMC_RECOVERY_STATE", { state: recovery.state });
    if (recovery.requestedById === args.actor.id || recovery.endorsedById === args.actor.id)
      throw new DomainError("KMC_RECOVERY_SAME_STAFF");
    const now = args.clock.now();
    const endorse = holderRequest && recovery.state === "requested" && args.approve;
    const state: KmcRecoveryState = endorse ? "endorsed" : args.approve ? "approved" : "rejected";
    const data = endorse
      ? { state, endorsedById: args.actor.id, endorsedAt: now }
      : { state, approvedById: args.actor.id, decidedAt: now };
    const written = await tx.kmcRecovery.updateMany({ where: { id: recovery.id, state: recovery.state }, data });
    if (written.count !== 1) throw new DomainError("CONFLICT");
    await appendAudit(
      tx,
      {
        ...actorFields(args.actor),
        action: `kmc.recovery_${state === "rejected" ? "rejected" : state}`,
        targetType: "kmc_recovery",
        targetId: recovery.id,
        fromState: recovery.state,
        toState: state,
        data: {
          requestedBy: recovery.requestedById ?? `holder:${recovery.holderCertificateId}`,
          ...(recovery.endorsedById ? { endorsedBy: recovery.endorsedById } : {}),
        },
      },
      args.clock,
    );
    return { ...recovery, ...data };
  });
}

/**
 * Delivers an approved recovery: the escrowed key enveloped to `holderCertificate`'s SM2 key, whose possession the
 * caller proved (a challenge signed by it). It must be an active signing certificate of the same holder (same ID
 * number) as the encryption certificate. The request is then `delivered`; a later delivery needs a new request, except
 * the same key asking again within REDELIVERY_MS (the import into the token failed: unplugged, interrupted), which gets
 * a fresh envelope for that key only.
 */
export async function deliverRecovery(
  db: Db,
  args: { id: string; holderCertificate: Certificate; kmc: Kmc | null; actor: Actor; clock: Clock },
): Promise<{ envelope: Buffer; encryptionCertificate: Certificate }> {
  const kmc = requireKmc(args.kmc);
  const holder = args.holderCertificate;
  return withTx(db, async (tx) => {
    const recovery = await loadRecovery(tx, args.id);
    const spki = spkiOf(holder);
    const again =
      recovery.state === "delivered" &&
      recovery.deliveredToSpki === sha256Hex(spki) &&
      recovery.deliveredAt !== null &&
      args.clock.now().getTime() - recovery.deliveredAt.getTime() < REDELIVERY_MS;
    if (recovery.state !== "approved" && !again) throw new DomainError("KMC_RECOVERY_STATE", { state: recovery.state });
    const key = await tx.kmcKey.findUniqueOrThrow({ where: { id: recovery.kmcKeyId }, include: { certificate: true } });
    if (!key.certificate) throw new DomainError("KMC_KEY_NOT_FOUND");
    if (
      holder.usage !== "signing" ||
      holder.status !== "active" ||
      holder.holderIdHash !== key.certificate.holderIdHash ||
      !isSm2Spki(spki)
    )
      throw new DomainError("KMC_RECOVERY_WRONG_HOLDER");
    if (!again) {
      const written = await tx.kmcRecovery.updateMany({
        where: { id: recovery.id, state: "approved" },
        data: { state: "delivered", deliveredToSpki: sha256Hex(spki), deliveredAt: args.clock.now() },
      });
      if (written.count !== 1) throw new DomainError("CONFLICT");
    }
    await appendAudit(
      tx,
      {
        ...actorFields(args.actor),
        action: again ? "kmc.recovery_redelivered" : "kmc.recovery_delivered",
        targetType: "kmc_recovery",
        targetId: recovery.id,
        fromState: recovery.state,
        toState: "delivered",
        data: { encryptionSerial: key.certificate.serial, toSerial: holder.serial, toSpkiSha256: sha256Hex(spki) },
      },
      args.clock,
    );
    return { envelope: await envelopeFor(kmc, key, spki), encryptionCertificate: key.certificate };
  });
}

function spkiOf(cert: Certificate): Buffer {
  return parseCertificate(Buffer.from(cert.der)).spki;
}

/** Requests for the staff console, newest first. */
export function listRecoveries(db: Db, args: { take?: number } = {}) {
  return db.kmcRecovery.findMany({
    orderBy: { createdAt: "desc" },
    take: args.take ?? 100,
    include: { kmcKey: { select: { certificate: { select: { serial: true, holderName: true, subjectDn: true } } } } },
  });
}
