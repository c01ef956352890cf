import type { Db } from "../db";
import type { Clock } from "../clock";
import type { OrgBatch } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";

/**
 * orgstaff (#24): finance marks a paid batch's one invoice as issued (with its number, if given). Only an Alipay
 * batch that was paid has an invoice; marking twice is refused so the first record (who, when) stays. Audited.
 */
export async function markBatchInvoiceIssued(
  db: Db,
  input: { batchId: string; invoiceNo: string | null; actor: Actor; clock: Clock },
): Promise<OrgBatch> {
  return withTx(db, async (tx) => {
    const batch = await tx.orgBatch.findUnique({ where: { id: input.batchId } });
    if (!batch) throw new DomainError("NOT_FOUND");
    if (batch.kind !== "alipay" || !batch.paidAt || batch.invoiceIssuedAt)
      throw new DomainError("ORG_INVOICE_NOT_ISSUABLE");
    const issuedBy = `${input.actor.type}:${input.actor.id ?? ""}`;
    const mark = { invoiceIssuedAt: input.clock.now(), invoiceIssuedBy: issuedBy, invoiceNo: input.invoiceNo };
    const updated = await tx.orgBatch.update({ where: { id: batch.id }, data: mark });
    const data = { batchNo: batch.batchNo, invoiceNo: input.invoiceNo, amountFen: batch.paidFen };
    const event = { action: "org.batch.invoice_issued", targetType: "org_batch", targetId: batch.id, data };
    await appendAudit(tx, { ...actorFields(input.actor), ...event }, input.clock);
    return updated;
  });
}

/** The staff page's list: every organisation with its linked certificates and its batches (newest first). */
export function listOrganisationsForStaff(db: Db) {
  return db.organisation.findMany({
    orderBy: { name: "asc" },
    include: {
      consoleCerts: { select: { serial: true, holderName: true } },
      holders: { select: { serial: true, holderName: true } },
      batches: { orderBy: { createdAt: "desc" }, take: 50, include: { items: { orderBy: { holderName: "asc" } } } },
    },
  });
}
