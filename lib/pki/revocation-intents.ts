import { createHash } from "node:crypto";
import { actorFields, appendAudit, type Actor } from "@/lib/audit";
import type { Clock } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import type { UpstreamRevocation } from "@/lib/generated/prisma/client";
import { forgetOcsp } from "./ocsp";
import type { UpstreamIssuer } from "./issuers/types";

/**
 * RA mode's revocations: the upstream CA revokes, the portal records. A revocation is first an intent (an
 * UpstreamRevocation row written in the requester's transaction — the outbox), sent by a job
 * (lib/services/revocation-intents.ts) with a lease and back-off; the certificate is marked revoked only when the
 * upstream confirmed. One intent per certificate (unique certificateId) with one transactionId: a retried send
 * is the same request, never a second one with another outcome.
 */

export function revocationTransactionId(certificateId: string): Buffer {
  return createHash("sha256").update(`certrenew:revoke:${certificateId}`).digest().subarray(0, 16);
}

export interface RevocationIntentInput {
  certificate: { id: string; serial: string };
  /** RFC 5280 CRLReason code */
  reason: number;
  actor: Actor;
  clock: Clock;
  locale?: string;
  /** where the confirmation mail goes once the upstream confirmed (the holder's own 注销) */
  mailTo?: string | null;
}

/** Writes the intent (or returns the one already written for this certificate) inside the caller's transaction. */
export async function requestUpstreamRevocation(tx: Tx, input: RevocationIntentInput): Promise<UpstreamRevocation> {
  const existing = await tx.upstreamRevocation.findUnique({ where: { certificateId: input.certificate.id } });
  if (existing) return existing;
  const row = await tx.upstreamRevocation.create({
    data: {
      certificateId: input.certificate.id,
      serial: input.certificate.serial,
      reason: input.reason,
      transactionId: revocationTransactionId(input.certificate.id).toString("hex"),
      requestedBy: `${input.actor.type}:${input.actor.id ?? ""}`,
      locale: input.locale ?? "zh-CN",
      mailTo: input.mailTo ?? null,
      nextAttemptAt: input.clock.now(),
    },
  });
  await appendAudit(
    tx,
    {
      ...actorFields(input.actor),
      action: "certificate.revocation_requested",
      targetType: "certificate",
      targetId: input.certificate.id,
      data: { serial: input.certificate.serial, reason: input.reason, intentId: row.id },
    },
    input.clock,
  );
  return row;
}

/**
 * Marks a certificate revoked in the registry because the upstream CA revoked it (its confirmation, or its CRL):
 * no CRL is signed here. False when it was already revoked.
 */
export async function recordUpstreamRevocation(
  tx: Tx,
  input: { certificateId: string; reason: number; revokedAt: Date; actor: Actor; clock: Clock; source: string },
): Promise<boolean> {
  const cert = await tx.certificate.findUniqueOrThrow({
    where: { id: input.certificateId },
    select: { status: true, serial: true },
  });
  const { count } = await tx.certificate.updateMany({
    where: { id: input.certificateId, status: { not: "revoked" } },
    data: { status: "revoked", revokedAt: input.revokedAt, revocationReason: input.reason },
  });
  if (count === 0) return false;
  await appendAudit(
    tx,
    {
      ...actorFields(input.actor),
      action: "certificate.revoked",
      targetType: "certificate",
      targetId: input.certificateId,
      fromState: cert.status,
      toState: "revoked",
      data: { serial: cert.serial, reason: input.reason, source: input.source },
    },
    input.clock,
  );
  await tx.ocspResponse.deleteMany({ where: { serial: cert.serial } });
  forgetOcsp(cert.serial);
  return true;
}

/** Every exchange with the upstream CA, as an audit event: what was asked (digest) and what came back. */
export async function auditUpstreamExchange(
  db: Db | Tx,
  input: {
    issuer: UpstreamIssuer["kind"];
    operation: "renew" | "revoke";
    targetType: "order" | "certificate";
    targetId: string;
    transactionId: Buffer;
    requestSha256: string;
    status: "issued" | "pending" | "confirmed" | "retry" | "refused";
    ms: number;
    detail?: Record<string, string | number>;
  },
  clock: Clock,
): Promise<void> {
  await appendAudit(
    db as Tx,
    {
      actorType: "system",
      actorId: `upstream.${input.issuer}`,
      action: `upstream.${input.operation}`,
      targetType: input.targetType,
      targetId: input.targetId,
      data: {
        transactionId: input.transactionId.toString("hex"),
        requestSha256: input.requestSha256,
        status: input.status,
        ms: input.ms,
        ...(input.detail ?? {}),
      },
    },
    clock,
  );
}
