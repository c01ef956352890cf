import type { Db, Tx } from "../db";
import type { Clock } from "../clock";
import type { CertType, FeeTier, PayerClass } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import type { FeeKey } from "./price";

export interface FeeTierInput extends FeeKey {
  fenPerYear: number;
  effectiveFrom: Date;
  /** exclusive; omitted = open-ended */
  effectiveTo?: Date | null;
  note?: string | null;
  /**
   * The admin's explicit choice to end the current open-ended tier of the same key where the new one starts
   * (the usual way to schedule a price change). Without it any overlap is refused.
   */
  closeOpenEnded?: boolean;
}

/** 1,000,000 CNY per year: anything above is a typing error, not a fee. */
const MAX_FEN_PER_YEAR = 100_000_000;

const DEFAULT_FEE_TIERS: readonly { certType: CertType; payerClass: PayerClass; fenPerYear: number }[] = [
  { certType: "organisation", payerClass: "self", fenPerYear: 10000 },
  { certType: "personal", payerClass: "self", fenPerYear: 5000 },
  { certType: "organisation", payerClass: "unified", fenPerYear: 0 },
  { certType: "personal", payerClass: "unified", fenPerYear: 0 },
];

/** The default tiers apply from long before any certificate the portal will meet. */
const DEFAULT_TIERS_FROM = new Date("2000-01-01T00:00:00Z");

// serialises writers of one (certType, payerClass) so two admins cannot both pass the overlap check
async function lockKey(tx: Tx, key: FeeKey) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`fee_tier:${key.certType}:${key.payerClass}`}))`;
}

function overlaps(
  a: { effectiveFrom: Date; effectiveTo: Date | null },
  b: { effectiveFrom: Date; effectiveTo: Date | null },
) {
  const aEnd = a.effectiveTo?.getTime() ?? Infinity;
  const bEnd = b.effectiveTo?.getTime() ?? Infinity;
  return a.effectiveFrom.getTime() < bEnd && b.effectiveFrom.getTime() < aEnd;
}

function validate(input: FeeTierInput, now: Date) {
  if (!Number.isSafeInteger(input.fenPerYear) || input.fenPerYear < 0 || input.fenPerYear > MAX_FEN_PER_YEAR) {
    throw new DomainError("FEE_TIER_INVALID", { reason: "fenPerYear" });
  }
  if (Number.isNaN(input.effectiveFrom.getTime()) || (input.effectiveTo && Number.isNaN(input.effectiveTo.getTime()))) {
    throw new DomainError("FEE_TIER_INVALID", { reason: "date" });
  }
  if (input.effectiveTo && input.effectiveTo <= input.effectiveFrom) {
    throw new DomainError("FEE_TIER_INVALID", { reason: "effectiveTo <= effectiveFrom" });
  }
  // orders snapshot their price, but what was in force yesterday must stay what the audit says it was
  if (input.effectiveFrom < now) throw new DomainError("FEE_TIER_RETROACTIVE");
}

/**
 * Schedules a fee tier. Overlaps with another tier of the same key are refused (`FEE_TIER_OVERLAP`) unless the
 * only overlap is an open-ended tier starting earlier and `closeOpenEnded` is set: that tier then ends where
 * the new one starts. Both changes are audited in the same transaction.
 */
export async function createFeeTier(db: Db, input: FeeTierInput, actor: Actor, clock: Clock): Promise<FeeTier> {
  const now = clock.now();
  validate(input, now);
  const span = { effectiveFrom: input.effectiveFrom, effectiveTo: input.effectiveTo ?? null };
  return withTx(db, async (tx) => {
    await lockKey(tx, input);
    const existing = await tx.feeTier.findMany({
      where: { certType: input.certType, payerClass: input.payerClass },
      orderBy: { effectiveFrom: "asc" },
    });
    const clashing = existing.filter((t) => overlaps(t, span));
    const closable = (t: FeeTier) =>
      input.closeOpenEnded === true && t.effectiveTo === null && t.effectiveFrom < input.effectiveFrom;
    const refused = clashing.find((t) => !closable(t));
    if (refused) {
      throw new DomainError("FEE_TIER_OVERLAP", {
        conflictingTierId: refused.id,
        conflictFrom: refused.effectiveFrom.toISOString(),
        conflictTo: refused.effectiveTo?.toISOString() ?? null,
      });
    }
    for (const t of clashing) {
      await tx.feeTier.update({ where: { id: t.id }, data: { effectiveTo: input.effectiveFrom } });
      await appendAudit(
        tx,
        {
          ...actorFields(actor),
          action: "fee_tier.closed",
          targetType: "fee_tier",
          targetId: t.id,
          data: { effectiveTo: input.effectiveFrom.toISOString(), reason: "superseded by scheduled tier" },
        },
        clock,
      );
    }
    const tier = await tx.feeTier.create({
      data: {
        certType: input.certType,
        payerClass: input.payerClass,
        fenPerYear: input.fenPerYear,
        effectiveFrom: input.effectiveFrom,
        effectiveTo: input.effectiveTo ?? null,
        note: input.note ?? null,
        createdBy: actor.id ?? null,
        createdAt: now,
      },
    });
    await appendAudit(
      tx,
      {
        ...actorFields(actor),
        action: "fee_tier.created",
        targetType: "fee_tier",
        targetId: tier.id,
        data: tierData(tier),
      },
      clock,
    );
    return tier;
  });
}

function tierData(t: FeeTier) {
  return {
    certType: t.certType,
    payerClass: t.payerClass,
    fenPerYear: t.fenPerYear,
    effectiveFrom: t.effectiveFrom.toISOString(),
    effectiveTo: t.effectiveTo?.toISOString() ?? null,
  };
}

export async function listFeeTiers(db: Tx, filter: Partial<FeeKey> = {}): Promise<FeeTier[]> {
  return db.feeTier.findMany({
    where: { certType: filter.certType, payerClass: filter.payerClass },
    orderBy: [{ certType: "asc" }, { payerClass: "asc" }, { effectiveFrom: "asc" }],
  });
}

/** Creates the default tier for every key that has none yet; safe to run on every start. Returns what it created. */
export async function ensureDefaultFeeTiers(db: Db, clock: Clock): Promise<FeeTier[]> {
  const created: FeeTier[] = [];
  for (const d of DEFAULT_FEE_TIERS) {
    const tier = await withTx(db, async (tx) => {
      await lockKey(tx, d);
      if (await tx.feeTier.count({ where: { certType: d.certType, payerClass: d.payerClass } })) return null;
      const t = await tx.feeTier.create({
        data: { ...d, effectiveFrom: DEFAULT_TIERS_FROM, note: "default", createdBy: "system", createdAt: clock.now() },
      });
      await appendAudit(
        tx,
        {
          actorType: "system",
          actorId: "seed",
          action: "fee_tier.created",
          targetType: "fee_tier",
          targetId: t.id,
          data: tierData(t),
        },
        clock,
      );
      return t;
    });
    if (tier) created.push(tier);
  }
  return created;
}
