import type { Tx } from "../db";
import type { CertType, FeeTier, PayerClass } from "../generated/prisma/client";
import { DomainError } from "../errors";

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

/** Prisma filter for the tiers of `key` in force at `at` (effectiveFrom inclusive, effectiveTo exclusive). */
function inForceAt(key: FeeKey, at: Date) {
  return {
    certType: key.certType,
    payerClass: key.payerClass,
    effectiveFrom: { lte: at },
    OR: [{ effectiveTo: null }, { effectiveTo: { gt: at } }],
  };
}

/** The price the system decides from the certificate's type and payer class; never taken from the client. */
export async function priceFor(db: Tx, key: FeeKey, at: Date): Promise<Price> {
  const tier = await db.feeTier.findFirst({ where: inForceAt(key, at), orderBy: { effectiveFrom: "desc" } });
  if (!tier) throw new DomainError("FEE_TIER_MISSING", { certType: key.certType, payerClass: key.payerClass });
  return { tier, fenPerYear: tier.fenPerYear, years: 1, priceFen: tier.fenPerYear };
}
