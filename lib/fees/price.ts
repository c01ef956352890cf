import type { CertType, FeeTier, PayerClass } from "../generated/prisma/client";
import { DomainError } from "../errors";
import { selectRows, type Sql } from "../db/lean";

export interface FeeKey {
  certType: CertType;
  payerClass: PayerClass;
}

export interface Price {
  tier: FeeTier;
  fenPerYear: number;
  /** online renewal always extends by one year */
  years: 1;
  priceFen: number;
}

/** The tier of a key in force at a moment: effectiveFrom inclusive, effectiveTo exclusive, the latest start first. */
const TIER_IN_FORCE = `WHERE "certType" = $1::"CertType" AND "payerClass" = $2::"PayerClass"
  AND "effectiveFrom" <= $3 AND ("effectiveTo" IS NULL OR "effectiveTo" > $3)
  ORDER BY "effectiveFrom" DESC LIMIT 1`;

/** The price the system decides from the certificate's type and payer class; never taken from the client. */
export async function priceFor(db: Sql, key: FeeKey, at: Date): Promise<Price> {
  // every holder's summary and order prices it (lib/db/lean.ts)
  const [tier] = await selectRows(db, "FeeTier", TIER_IN_FORCE, [key.certType, key.payerClass, at]);
  if (!tier) throw new DomainError("FEE_TIER_MISSING", { certType: key.certType, payerClass: key.payerClass });
  return { tier, fenPerYear: tier.fenPerYear, years: 1, priceFen: tier.fenPerYear };
}
