import type { Db, Tx } from "../db";
import type { PaymentDeps } from "../payments/alipay/client";
import type { Clock } from "../clock";
import type { Prisma, RenewalOrder } from "../generated/prisma/client";
import { appendAudit, appendAuditNow, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import { decryptField, type FieldKeys } from "../crypto/field";
import { maskEmail } from "../privacy/mask";
import { cancelOrder } from "../renewal/create-order";
import { transitionOrder } from "../orders/machine";
import { invoiceDelivery } from "../payments/invoice-email";
import { resumeIssuance } from "../renewal/issue-order";
import type { Ca } from "../pki/ca";

/**
 * The helpdesk's view of one order and the actions on it. Personal data leaves this module masked; the full
 * value only through `unmaskOrderField`, which writes an audit event first. Every action takes a reason that
 * goes into its audit event, and changes state only through the order state machine or its domain functions.
 */

async function loadOrder(db: Tx, orderId: string): Promise<RenewalOrder> {
  const order = await db.renewalOrder.findUnique({ where: { id: orderId } });
  if (!order) throw new DomainError("ORDER_NOT_FOUND");
  return order;
}

function cleanReason(reason: string): string {
  const r = reason.trim().slice(0, 500);
  if (!r) throw new DomainError("VALIDATION_FAILED", { fields: { reason: "required" } });
  return r;
}

/** Only the last four characters are stored in the clear; the rest is shown as stars of the usual length. */
function lastFourOnly(last4: string, length: number): string {
  return `${"*".repeat(Math.max(0, length - last4.length))}${last4}`;
}

export async function orderDetail(db: Tx, orderId: string) {
  const order = await db.renewalOrder.findUnique({
    where: { id: orderId },
    include: {
      certificate: {
        select: {
          id: true,
          serial: true,
          subjectDn: true,
          holderName: true,
          holderIdType: true,
          holderIdLast4: true,
          certType: true,
          payerClass: true,
          notBefore: true,
          notAfter: true,
          status: true,
          email: true,
          // 大客户专区 (bigclient): the organisation that pays for this holder
          organisation: { select: { id: true, name: true, creditCode: true } },
        },
      },
      issuedCertificate: {
        select: { id: true, serial: true, subjectDn: true, notBefore: true, notAfter: true, status: true },
      },
      feeTier: { select: { id: true, fenPerYear: true, effectiveFrom: true, effectiveTo: true, note: true } },
      paymentEvents: {
        orderBy: { createdAt: "asc" },
        select: {
          id: true,
          kind: true,
          tradeStatus: true,
          tradeNo: true,
          amountFen: true,
          verified: true,
          outcome: true,
          createdAt: true,
        },
      },
      refunds: { orderBy: { createdAt: "asc" } },
      invoice: true,
    },
  });
  if (!order) throw new DomainError("ORDER_NOT_FOUND");
  const certificateIds = [order.certificateId, ...(order.issuedCertificateId ? [order.issuedCertificateId] : [])];
  const [timeline, mails, upstreamRevocations] = await Promise.all([
    db.auditEvent.findMany({ where: { targetType: "order", targetId: orderId }, orderBy: { seq: "asc" } }),
    db.mailOutbox.findMany({
      where: { orderId },
      orderBy: { createdAt: "asc" },
      select: {
        id: true,
        template: true,
        state: true,
        attempts: true,
        lastError: true,
        createdAt: true,
        sentAt: true,
        to: true,
      },
    }),
    // RA mode: revocations of this order's certificates sent to (or waiting for) the upstream CA
    db.upstreamRevocation.findMany({
      where: { certificateId: { in: certificateIds } },
      orderBy: { createdAt: "asc" },
      select: {
        id: true,
        serial: true,
        state: true,
        attempts: true,
        lastError: true,
        nextAttemptAt: true,
        createdAt: true,
        confirmedAt: true,
      },
    }),
  ]);
  // 大客户专区: the organisation's batch place this order used (price 0), if any
  const orgCoverage = await db.orgBatchItem.findUnique({
    where: { orderId },
    select: { id: true, state: true, priceFen: true, batch: { select: { batchNo: true, kind: true, state: true } } },
  });
  const { handlerIdEnc, handlerMobileEnc, csrDer, certificate, ...rest } = order;
  void handlerIdEnc;
  void handlerMobileEnc;
  return {
    ...rest,
    hasCsr: csrDer !== null,
    handlerEmail: maskEmail(order.handlerEmail),
    handlerIdMasked: lastFourOnly(order.handlerIdLast4, 18),
    handlerMobileMasked: lastFourOnly(order.handlerMobileLast4, 11),
    certificate: {
      ...certificate,
      email: certificate.email ? maskEmail(certificate.email) : null,
      holderIdMasked: lastFourOnly(certificate.holderIdLast4, 18),
    },
    mails: mails.map((m) => ({ ...m, to: maskEmail(m.to) })),
    // where finance sends the e-invoice: an address other than the handler's only once its owner confirmed it
    invoiceDelivery: order.invoice ? maskedDelivery(invoiceDelivery(order, order.invoice)) : null,
    upstreamRevocations,
    orgCoverage,
    timeline,
  };
}

function maskedDelivery(d: ReturnType<typeof invoiceDelivery>) {
  return { ...d, to: maskEmail(d.to), pending: d.pending ? maskEmail(d.pending) : null };
}

export const UNMASKABLE = [
  "handlerIdNumber",
  "handlerMobile",
  "handlerEmail",
  "holderIdNumber",
  "holderEmail",
] as const;
export type UnmaskableField = (typeof UNMASKABLE)[number];

/** Shows one personal field in full; the audit event (who, which field, why) is written before the value is returned. */
export async function unmaskOrderField(
  db: Db,
  args: { orderId: string; field: UnmaskableField; reason: string; actor: Actor; clock: Clock; keys: FieldKeys },
): Promise<string> {
  const reason = cleanReason(args.reason);
  return withTx(db, async (tx) => {
    const order = await tx.renewalOrder.findUnique({
      where: { id: args.orderId },
      include: { certificate: { select: { holderIdEnc: true, email: true } } },
    });
    if (!order) throw new DomainError("ORDER_NOT_FOUND");
    const reveal: Record<UnmaskableField, () => string | null> = {
      handlerIdNumber: () => decryptField(args.keys, order.handlerIdEnc),
      handlerMobile: () => decryptField(args.keys, order.handlerMobileEnc),
      handlerEmail: () => order.handlerEmail,
      holderIdNumber: () => decryptField(args.keys, order.certificate.holderIdEnc),
      holderEmail: () => order.certificate.email,
    };
    const value = reveal[args.field]();
    if (value === null) throw new DomainError("STAFF_NOTHING_TO_UNMASK");
    await appendAudit(
      tx,
      {
        ...actorFields(args.actor),
        action: "order.unmasked",
        targetType: "order",
        targetId: order.id,
        fromState: order.state,
        toState: order.state,
        data: { orderNo: order.orderNo, field: args.field, reason },
      },
      args.clock,
    );
    return value;
  });
}

/** A helpdesk note: an audit event on the order's timeline, nothing else changes. */
export async function addOrderNote(db: Db, args: { orderId: string; note: string; actor: Actor; clock: Clock }) {
  const note = cleanReason(args.note);
  return withTx(db, async (tx) => {
    const order = await loadOrder(tx, args.orderId);
    return appendAuditNow(
      tx,
      {
        ...actorFields(args.actor),
        action: "order.note",
        targetType: "order",
        targetId: order.id,
        fromState: order.state,
        toState: order.state,
        data: { orderNo: order.orderNo, note },
      },
      args.clock,
    );
  });
}

/**
 * Sends one of the order's mails again: a new outbox row with the stored (already masked) content, so the
 * original row keeps its own history. Works for sent and failed mails alike (the holder lost it, or it bounced).
 */
export async function resendOrderMail(
  db: Db,
  args: { orderId: string; mailId: string; reason: string; actor: Actor; clock: Clock },
) {
  const reason = cleanReason(args.reason);
  return withTx(db, async (tx) => {
    const order = await loadOrder(tx, args.orderId);
    const mail = await tx.mailOutbox.findFirst({ where: { id: args.mailId, orderId: order.id } });
    if (!mail) throw new DomainError("STAFF_MAIL_NOT_FOUND");
    const copy = await tx.mailOutbox.create({
      data: {
        to: mail.to,
        template: mail.template,
        locale: mail.locale,
        data: mail.data as Prisma.InputJsonValue,
        orderId: mail.orderId,
        certificateId: mail.certificateId,
        nextAttemptAt: args.clock.now(),
        createdAt: args.clock.now(),
      },
    });
    await appendAudit(
      tx,
      {
        ...actorFields(args.actor),
        action: "order.mail_resent",
        targetType: "order",
        targetId: order.id,
        fromState: order.state,
        toState: order.state,
        data: { orderNo: order.orderNo, template: mail.template, mailId: mail.id, newMailId: copy.id, reason },
      },
      args.clock,
    );
    return copy;
  });
}

/** Cancels an unpaid order on the holder's behalf (closing its Alipay trade first); refused once money is taken. */
export function cancelOrderByStaff(
  db: Db,
  args: { orderId: string; reason: string; actor: Actor; clock: Clock; pay: PaymentDeps },
): Promise<RenewalOrder> {
  return cancelOrder(db, {
    orderId: args.orderId,
    actor: args.actor,
    clock: args.clock,
    reason: cleanReason(args.reason),
    pay: args.pay,
  });
}

const IN_PERSON_PREFIX = "handled_in_person:";

/**
 * "Handled in person": the holder went to the service centre instead. It maps onto the state machine as a
 * cancellation of the unpaid online order whose reason starts with `handled_in_person:` (so reports can tell it
 * apart) and an `order.handled_in_person` event, both in one transaction. A paid order must be refunded first:
 * the service centre takes its own payment, and the state machine's only way out of `paid` without a
 * certificate is a refund.
 */
export async function markHandledInPerson(
  db: Db,
  args: { orderId: string; reason: string; actor: Actor; clock: Clock; pay: PaymentDeps },
): Promise<RenewalOrder> {
  const reason = cleanReason(args.reason);
  const order = await loadOrder(db, args.orderId);
  if (!["draft", "submitted", "awaiting_payment"].includes(order.state))
    throw new DomainError("STAFF_IN_PERSON_NOT_ALLOWED", { state: order.state });
  return cancelOrder(db, {
    orderId: order.id,
    actor: args.actor,
    clock: args.clock,
    reason: `${IN_PERSON_PREFIX} ${reason}`,
    pay: args.pay,
    alsoInTx: (tx, cancelled) =>
      appendAudit(
        tx,
        {
          ...actorFields(args.actor),
          action: "order.handled_in_person",
          targetType: "order",
          targetId: order.id,
          fromState: cancelled.state,
          toState: cancelled.state,
          data: { orderNo: order.orderNo, reason },
        },
        args.clock,
      ),
  });
}

/**
 * Re-issuance of a paid order stuck in `issuing`. With the holder's verified CSR stored, the certificate is issued
 * from it now (resumeIssuance). Without one, the order goes back to `paid` (or `submitted` when free), unflagged,
 * so the holder's next 下证 starts cleanly. An order in `paid` has no CSR: only the holder, with the key, can
 * continue it, so staff are refused (call the holder, or refund).
 */
export async function reissueStuckOrder(
  db: Db,
  args: { orderId: string; reason: string; actor: Actor; clock: Clock; ca: () => Promise<Ca> },
): Promise<RenewalOrder> {
  const reason = cleanReason(args.reason);
  const order = await loadOrder(db, args.orderId);
  if (order.state !== "issuing") throw new DomainError("STAFF_REISSUE_NOT_ALLOWED", { state: order.state });
  if (order.csrDer) {
    await withTx(db, (tx) =>
      appendAudit(
        tx,
        {
          ...actorFields(args.actor),
          action: "order.reissue_requested",
          targetType: "order",
          targetId: order.id,
          fromState: order.state,
          toState: order.state,
          data: { orderNo: order.orderNo, reason },
        },
        args.clock,
      ),
    );
    await resumeIssuance(db, order.id, args.clock, await args.ca());
    return loadOrder(db, order.id);
  }
  return withTx(db, (tx) =>
    transitionOrder(tx, {
      orderId: order.id,
      to: order.priceFen === 0 ? "submitted" : "paid",
      actor: args.actor,
      clock: args.clock,
      expectVersion: order.version,
      action: "order.reissue_reset",
      data: { reason },
      set: { flagged: false, flagReason: null },
    }),
  );
}

/** The DER of the certificate issued for the order, for download from the order page. */
export async function issuedCertificateDer(db: Tx, orderId: string): Promise<{ serial: string; der: Uint8Array }> {
  const order = await db.renewalOrder.findUnique({
    where: { id: orderId },
    select: { issuedCertificate: { select: { serial: true, der: true } } },
  });
  if (!order) throw new DomainError("ORDER_NOT_FOUND");
  if (!order.issuedCertificate) throw new DomainError("NOT_FOUND");
  return { serial: order.issuedCertificate.serial, der: order.issuedCertificate.der };
}
