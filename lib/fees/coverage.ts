import type { Certificate, OrgBatchItem } from "../generated/prisma/client";
import { DomainError } from "../errors";
import { sqlRows, uniqueRow, updateById, type Sql } from "../db/lean";
import { priceFor, type Price } from "./price";

/**
 * Who pays for a holder's renewal when an organisation stepped in (大客户专区, lib/org): a batch the organisation
 * paid, or its contract, covers the certificate. The holder's order is then priced 0 and tied to that coverage, so
 * the renewal is paid exactly once. Here (below lib/renewal) so the wizard's pricing can ask without importing lib/org.
 */

/** Serialises everything that decides who pays for one certificate (a batch vs. the holder's own 确认提交). */
export async function lockPayerOf(tx: Sql, certificateId: string): Promise<void> {
  await sqlRows(tx, `SELECT 1 AS "locked" FROM pg_advisory_xact_lock(hashtext($1))`, [`cert-payer:${certificateId}`]);
}

/** The certificate's live coverage: an item still waiting for its batch's payment, or a paid/contract one. */
export function activeCoverage(tx: Sql, certificateId: string): Promise<OrgBatchItem | null> {
  return uniqueRow(tx, "OrgBatchItem", "activeCertificateId", certificateId);
}

export interface HolderPrice {
  price: Price;
  /** the coverage that pays for this renewal (price 0) */
  coveredBy: OrgBatchItem | null;
}

/** The holder's price: 0 when an organisation covers the certificate, else the fee tier's (lib/fees/price). */
export async function holderPrice(tx: Sql, certificate: Certificate, at: Date): Promise<HolderPrice> {
  const price = await priceFor(tx, certificate, at);
  const coverage = await activeCoverage(tx, certificate.id);
  if (coverage?.state === "covered") return { price: { ...price, priceFen: 0 }, coveredBy: coverage };
  return { price, coveredBy: null };
}

/**
 * At 确认提交 of an order the holder would pay for: a covered certificate's order becomes free and uses the coverage;
 * while the organisation's batch is still awaiting payment the holder cannot pay as well (ORG_BATCH_PENDING).
 * Returns the coverage used, or null when the holder pays. Call inside the transaction, after lockPayerOf.
 */
export async function claimCoverage(
  tx: Sql,
  order: { id: string; certificateId: string },
): Promise<OrgBatchItem | null> {
  const coverage = await activeCoverage(tx, order.certificateId);
  if (!coverage) return null;
  if (coverage.state === "pending") throw new DomainError("ORG_BATCH_PENDING");
  if (coverage.orderId && coverage.orderId !== order.id) {
    const other = await uniqueRow(tx, "RenewalOrder", "id", coverage.orderId);
    if (other && other.state !== "cancelled" && other.state !== "expired") throw new DomainError("CONFLICT");
  }
  const claimed = await updateById(tx, "OrgBatchItem", coverage.id, { orderId: order.id });
  if (!claimed) throw new Error(`coverage ${coverage.id} vanished while its payer was locked`);
  return claimed;
}
