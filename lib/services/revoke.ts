import type { Db } from "../db";
import type { PaymentDeps } from "../renewal/create-order";
import { MINUTE, type Clock } from "../clock";
import type { Actor } from "../audit";
import type { Certificate, OrderState } from "../generated/prisma/client";
import { DomainError } from "../errors";
import type { Locale } from "../errors/types";
import { enqueueMail } from "../outbox";
import { cancelOrder } from "../renewal/create-order";

import { hitRateLimit } from "../ratelimit";
import { issueChallenge, verifyProof, type IssuedChallenge } from "../renewal/pop";
import type { Ca } from "../pki/ca";
import { revokeCertificate } from "../pki/revoke";
import { services as texts } from "../messages/services";
import { registeredCertificate } from "./certificate";
import { withTx } from "../audit";
import type { UpstreamIssuer } from "../pki/issuers/types";
import { requestUpstreamRevocation } from "../pki/revocation-intents";
import { REVOCATION_REASONS } from "../pki/revoke";
import { sendUpstreamRevocations } from "./revocation-intents";

/**
 * 证书注销 by the holder: proof of possession (the key signs a `revoke` challenge after the PIN), a reason,
 * an explicit confirmation that it cannot be undone, then the revocation (CRL and OCSP at once), a mail and
 * the audit event, all in one transaction. A certificate whose renewal has money or issuance in flight is
 * refused until that order ends; an order not yet paid is cancelled first.
 */

/** The RFC 5280 reasons a holder can choose (the others are for the CA itself). */
const HOLDER_REVOCATION_REASONS = [
  "keyCompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
] as const;
type HolderRevocationReason = (typeof HOLDER_REVOCATION_REASONS)[number];

const REVOKE_LIMIT = { max: 10, windowMs: 10 * MINUTE };

/** Orders that must end (issue or refund) before the certificate may be revoked. */
const BLOCKING: ReadonlySet<OrderState> = new Set(["paid", "issuing"]);
/** Orders the revocation cancels first (an awaiting-payment trade is closed by cancelOrder). */
const CANCELLED_BY_REVOCATION: ReadonlySet<OrderState> = new Set(["draft", "submitted", "awaiting_payment"]);

async function refuseIfBlocked(db: Db, certificate: Pick<Certificate, "id" | "status">): Promise<void> {
  if (certificate.status === "revoked") throw new DomainError("CERT_ALREADY_REVOKED");
  const order = await db.renewalOrder.findUnique({
    where: { openCertificateId: certificate.id },
    select: { state: true },
  });
  if (order && BLOCKING.has(order.state))
    throw new DomainError("REVOKE_ORDER_IN_PROGRESS", { orderState: order.state });
}

/** The challenge the key signs; refused up front when the certificate cannot be revoked now. */
export async function revocationChallenge(
  db: Db,
  args: { certificateDer: Buffer; origin: string; clock: Clock; rateKey: string; ip?: string | null },
): Promise<IssuedChallenge> {
  await hitRateLimit(db, `revoke:${args.rateKey}`, REVOKE_LIMIT, args.clock);
  const certificate = await registeredCertificate(db, args.certificateDer, "CERT_UNKNOWN");
  await refuseIfBlocked(db, certificate);
  return issueChallenge(db, {
    serial: certificate.serial,
    origin: args.origin,
    purpose: "revoke",
    clock: args.clock,
    ip: args.ip,
  });
}

export interface RevokeByHolderInput {
  challengeText: string;
  signatureB64: string;
  reason: string;
  confirmed: boolean;
  origin: string;
  locale: Locale;
  clock: Clock;
  actor: Actor;
  /** the portal's CA (builtin); unused in RA mode */
  ca?: Ca;
  /** RA mode: the operator's CA, which revokes first (the certificate is marked revoked once it confirms) */
  upstream?: UpstreamIssuer | null;
  /** an open order awaiting payment is cancelled first, its Alipay trade closed */
  pay: PaymentDeps;
}

export async function revokeByHolder(db: Db, input: RevokeByHolderInput) {
  if (!(HOLDER_REVOCATION_REASONS as readonly string[]).includes(input.reason))
    throw new DomainError("REVOKE_REASON_INVALID");
  const reason = input.reason as HolderRevocationReason;
  if (!input.confirmed) throw new DomainError("REVOKE_NOT_CONFIRMED");
  const certificate = await verifyProof(db, {
    challengeText: input.challengeText,
    signatureB64: input.signatureB64,
    purpose: "revoke",
    origin: input.origin,
    clock: input.clock,
  });
  const actor: Actor = { ...input.actor, type: "holder", id: certificate.id };

  await refuseIfBlocked(db, certificate);
  const open = await db.renewalOrder.findUnique({
    where: { openCertificateId: certificate.id },
    select: { id: true, state: true },
  });
  if (open && CANCELLED_BY_REVOCATION.has(open.state)) {
    try {
      await cancelOrder(db, {
        orderId: open.id,
        actor,
        clock: input.clock,
        reason: "certificate revoked by holder",
        pay: input.pay,
        certificateId: certificate.id,
      });
    } catch (e) {
      if (e instanceof DomainError && e.code === "ORDER_ALREADY_PAID")
        throw new DomainError("REVOKE_ORDER_IN_PROGRESS", { orderState: "paid" });
      throw e;
    }
  }

  if (input.upstream) return revokeUpstream(db, input.upstream, certificate, reason, actor, input);

  return withTx(db, async (tx) => {
    // re-read inside the transaction: an order may have been paid since the check above
    const order = await tx.renewalOrder.findUnique({
      where: { openCertificateId: certificate.id },
      select: { state: true },
    });
    if (order && BLOCKING.has(order.state))
      throw new DomainError("REVOKE_ORDER_IN_PROGRESS", { orderState: order.state });
    if (!input.ca) throw new Error("revocation needs the portal's CA or an upstream issuer");
    const revoked = await revokeCertificate(tx, {
      serial: certificate.serial,
      reason,
      clock: input.clock,
      actor,
      ca: input.ca,
    });
    // dual certificates: the encryption certificate paired with it goes too (its key stays escrowed in the KMC)
    const pair = await tx.certificate.findUnique({ where: { signingCertificateId: certificate.id } });
    if (pair && pair.status !== "revoked")
      await revokeCertificate(tx, { serial: pair.serial, reason, clock: input.clock, actor, ca: input.ca });
    if (certificate.email) {
      await enqueueMail(
        tx,
        {
          to: certificate.email,
          template: "revocation_confirmed",
          locale: input.locale,
          certificateId: certificate.id,
          data: {
            holderName: certificate.holderName,
            serial: certificate.serial,
            revokedAt: revoked.revokedAt,
            reason: reasonText(reason, input.locale),
          },
        },
        input.clock,
      );
    }
    return {
      serial: revoked.serial,
      revokedAt: revoked.revokedAt.toISOString(),
      reason,
      mailed: Boolean(certificate.email),
    };
  });
}

/**
 * RA mode: the intent is committed first (it is never lost), then sent at once; if the upstream confirms in this
 * request the holder sees the revocation done, otherwise "requested" and the job (upstreamRevocationJob) finishes it.
 */
async function revokeUpstream(
  db: Db,
  upstream: UpstreamIssuer,
  certificate: Certificate,
  reason: HolderRevocationReason,
  actor: Actor,
  input: RevokeByHolderInput,
) {
  const requestedAt = new Date(Math.floor(input.clock.now().getTime() / 1000) * 1000);
  await withTx(db, async (tx) => {
    const order = await tx.renewalOrder.findUnique({
      where: { openCertificateId: certificate.id },
      select: { state: true },
    });
    if (order && BLOCKING.has(order.state))
      throw new DomainError("REVOKE_ORDER_IN_PROGRESS", { orderState: order.state });
    await requestUpstreamRevocation(tx, {
      certificate,
      reason: REVOCATION_REASONS[reason],
      actor,
      clock: input.clock,
      locale: input.locale,
      mailTo: certificate.email,
    });
  });
  await sendUpstreamRevocations(db, upstream, input.clock, { certificateId: certificate.id });
  const after = await db.certificate.findUniqueOrThrow({ where: { id: certificate.id } });
  const confirmed = after.status === "revoked";
  return {
    serial: certificate.serial,
    revokedAt: (confirmed && after.revokedAt ? after.revokedAt : requestedAt).toISOString(),
    reason,
    mailed: Boolean(certificate.email),
    pending: !confirmed,
  };
}

function reasonText(reason: HolderRevocationReason, locale: Locale): string {
  return texts[locale].revoke.reasons[reason].title;
}
