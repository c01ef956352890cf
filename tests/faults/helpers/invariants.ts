import { verifyAuditChain } from "@/lib/audit";
import type { Db } from "@/lib/db";

/**
 * The fault matrix's invariants, checked against the database after each injected fault:
 *   1. every paid order ends issued (or installed) or refunded — or, where only the holder's key can finish it,
 *      is flagged for the helpdesk (never silently stuck);
 *   2. no order has more than one live (unrevoked) certificate issued for it;
 *   3. no payment is applied twice (one `applied` payment event per order, paid amount = price);
 *   4. refunds never exceed what was paid;
 *   5. the audit hash chain verifies.
 */

export interface Violation {
  invariant: string;
  detail: string;
}

export interface InvariantReport {
  checked: number;
  violations: Violation[];
}

export const INVARIANTS = [
  "paid ends issued/refunded",
  "one certificate per order",
  "payment applied once",
  "refund ≤ paid",
  "audit chain verifies",
] as const;

export async function checkInvariants(
  db: Db,
  opts: { allowFlaggedPaid?: boolean; orderIds?: string[] } = {},
): Promise<InvariantReport> {
  const violations: Violation[] = [];
  const where = opts.orderIds ? { id: { in: opts.orderIds } } : {};
  const orders = await db.renewalOrder.findMany({ where });

  for (const o of orders) {
    if (o.paidAt === null) continue;
    const done = ["issued", "installed", "refunded", "refund_pending"].includes(o.state);
    const flagged = (opts.allowFlaggedPaid ?? true) && o.flagged && ["paid", "issuing"].includes(o.state);
    if (!done && !flagged)
      violations.push({
        invariant: INVARIANTS[0],
        detail: `order ${o.orderNo} paid but ${o.state}${o.flagged ? " (flagged)" : ""}`,
      });
  }

  const issued = await db.auditEvent.findMany({
    where: { action: "certificate.issued" },
    select: { targetId: true, data: true },
  });
  const certsByOrder = new Map<string, string[]>();
  for (const e of issued) {
    const orderId = (e.data as { orderId?: string }).orderId;
    if (!orderId || (opts.orderIds && !opts.orderIds.includes(orderId))) continue;
    certsByOrder.set(orderId, [...(certsByOrder.get(orderId) ?? []), e.targetId!]);
  }
  for (const [orderId, ids] of certsByOrder) {
    const live = await db.certificate.count({ where: { id: { in: ids }, status: { not: "revoked" } } });
    if (live > 1) violations.push({ invariant: INVARIANTS[1], detail: `order ${orderId}: ${live} live certificates` });
    const order = orders.find((o) => o.id === orderId);
    if (order?.issuedCertificateId && !ids.includes(order.issuedCertificateId))
      violations.push({
        invariant: INVARIANTS[1],
        detail: `order ${orderId}: issued certificate not from its own issuance`,
      });
  }

  const applied = await db.paymentEvent.groupBy({
    by: ["orderId"],
    where: {
      outcome: "applied",
      kind: { not: "precreate" },
      ...(opts.orderIds ? { orderId: { in: opts.orderIds } } : {}),
    },
    _count: true,
  });
  for (const a of applied)
    if (a._count > 1)
      violations.push({ invariant: INVARIANTS[2], detail: `order ${a.orderId}: payment applied ${a._count} times` });
  for (const o of orders) {
    if (o.paidFen !== null && o.paidFen !== o.priceFen)
      violations.push({
        invariant: INVARIANTS[2],
        detail: `order ${o.orderNo}: paid ${o.paidFen} fen for a price of ${o.priceFen}`,
      });
  }

  const refunds = await db.refund.groupBy({
    by: ["orderId"],
    where: { state: "succeeded" },
    _sum: { amountFen: true },
  });
  for (const r of refunds) {
    const o = orders.find((x) => x.id === r.orderId);
    if (o && (r._sum.amountFen ?? 0) > (o.paidFen ?? 0))
      violations.push({
        invariant: INVARIANTS[3],
        detail: `order ${o.orderNo}: refunded ${r._sum.amountFen} of ${o.paidFen}`,
      });
  }

  const chain = await verifyAuditChain(db);
  if (!chain.ok) violations.push({ invariant: INVARIANTS[4], detail: `broken at seq ${chain.brokenAt}` });

  return { checked: INVARIANTS.length, violations };
}
