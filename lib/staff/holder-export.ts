import type { Db } from "../db";
import type { Clock } from "../clock";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import { decryptField, type FieldKeys } from "../crypto/field";

/**
 * A holder's personal data, on request (PIPL art. 45: the right to a copy), exported by staff: every certificate
 * with the same holder ID (by its keyed hash), each order with its handler data in full, the consent given and
 * the invoice details. Reading it in full is audited like an unmask, with the reason given.
 */
export interface HolderExport {
  exportedAt: string;
  holder: { name: string; idType: string; idNumber: string };
  certificates: {
    serial: string;
    subjectDn: string;
    certType: string;
    payerClass: string;
    status: string;
    notBefore: string;
    notAfter: string;
    email: string | null;
  }[];
  orders: {
    orderNo: string;
    certificateSerial: string;
    state: string;
    createdAt: string;
    priceFen: number;
    paidAt: string | null;
    handler: {
      name: string;
      idType: string;
      idNumber: string;
      mobile: string;
      email: string;
      anonymisedAt: string | null;
    };
    consent: { agreementVersion: string; privacyVersion: string; acceptedAt: string } | null;
    invoice: { type: string; title: string; taxpayerId: string | null; email: string } | null;
  }[];
}

export async function exportHolderData(
  db: Db,
  args: { orderId: string; reason: string; actor: Actor; clock: Clock; keys: FieldKeys },
): Promise<HolderExport> {
  const reason = args.reason.trim().slice(0, 500);
  return withTx(db, async (tx) => {
    const order = await tx.renewalOrder.findUnique({ where: { id: args.orderId }, include: { certificate: true } });
    if (!order) throw new DomainError("ORDER_NOT_FOUND");
    const certificates = await tx.certificate.findMany({
      where: { holderIdHash: order.certificate.holderIdHash },
      orderBy: { notBefore: "asc" },
    });
    const orders = await tx.renewalOrder.findMany({
      where: { certificateId: { in: certificates.map((c) => c.id) } },
      include: { invoice: true },
      orderBy: { createdAt: "asc" },
    });
    const serialOf = new Map(certificates.map((c) => [c.id, c.serial]));
    const holder = order.certificate;
    await appendAudit(
      tx,
      {
        ...actorFields(args.actor),
        action: "holder.data_exported",
        targetType: "order",
        targetId: order.id,
        data: {
          orderNo: order.orderNo,
          reason,
          certificates: certificates.map((c) => c.serial),
          orders: orders.map((o) => o.orderNo),
        },
      },
      args.clock,
    );
    return {
      exportedAt: args.clock.now().toISOString(),
      holder: {
        name: holder.holderName,
        idType: holder.holderIdType,
        idNumber: decryptField(args.keys, holder.holderIdEnc),
      },
      certificates: certificates.map((c) => ({
        serial: c.serial,
        subjectDn: c.subjectDn,
        certType: c.certType,
        payerClass: c.payerClass,
        status: c.status,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
        email: c.email,
      })),
      orders: orders.map((o) => ({
        orderNo: o.orderNo,
        certificateSerial: serialOf.get(o.certificateId) ?? "",
        state: o.state,
        createdAt: o.createdAt.toISOString(),
        priceFen: o.priceFen,
        paidAt: o.paidAt?.toISOString() ?? null,
        handler: {
          name: o.handlerName,
          idType: o.handlerIdType,
          idNumber: o.handlerAnonymisedAt ? "" : decryptField(args.keys, o.handlerIdEnc),
          mobile: o.handlerAnonymisedAt ? "" : decryptField(args.keys, o.handlerMobileEnc),
          email: o.handlerEmail,
          anonymisedAt: o.handlerAnonymisedAt?.toISOString() ?? null,
        },
        consent:
          o.agreementVersion && o.privacyVersion && o.consentAt
            ? {
                agreementVersion: o.agreementVersion,
                privacyVersion: o.privacyVersion,
                acceptedAt: o.consentAt.toISOString(),
              }
            : null,
        invoice: o.invoice
          ? { type: o.invoice.type, title: o.invoice.title, taxpayerId: o.invoice.taxpayerId, email: o.invoice.email }
          : null,
      })),
    };
  });
}
