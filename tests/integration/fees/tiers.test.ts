import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb } from "@/tests/helpers/db";
import { codeOf } from "@/tests/helpers/orders";
import type { OpenDb } from "@/lib/db";
import { SECOND } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { verifyAuditChain } from "@/lib/audit";
import { priceFor } from "@/lib/fees/price";
import { createFeeTier, ensureDefaultFeeTiers, listFeeTiers, type FeeTierInput } from "@/lib/fees/tiers";

let open: OpenDb;
const clock = fixedClock("2026-11-25T02:00:00Z");
const ADMIN = { type: "staff" as const, id: "admin-1", ip: "10.0.0.1", userAgent: "vitest" };

beforeAll(async () => {
  open = await createTestDb();
});
afterAll(async () => {
  await open?.close();
});

describe("default tiers", () => {
  test("prices: organisation 100 CNY, personal 50 CNY, unified payment nothing", async () => {
    const db = open.prisma;
    expect(await codeOf(priceFor(db, { certType: "personal", payerClass: "self" }, clock.now()))).toBe(
      "FEE_TIER_MISSING",
    );
    expect(await ensureDefaultFeeTiers(db, clock)).toHaveLength(4);
    expect(await ensureDefaultFeeTiers(db, clock)).toHaveLength(0);
    const at = clock.now();
    expect((await priceFor(db, { certType: "organisation", payerClass: "self" }, at)).priceFen).toBe(10000);
    expect((await priceFor(db, { certType: "personal", payerClass: "self" }, at)).priceFen).toBe(5000);
    expect((await priceFor(db, { certType: "organisation", payerClass: "unified" }, at)).priceFen).toBe(0);
    expect(await priceFor(db, { certType: "personal", payerClass: "unified" }, at)).toMatchObject({
      priceFen: 0,
      fenPerYear: 0,
      years: 1,
    });
    expect(await listFeeTiers(db)).toHaveLength(4);
  });

  test("running the seed twice in parallel still creates one tier per key", async () => {
    const fresh = await createTestDb();
    try {
      const made = await Promise.all([
        ensureDefaultFeeTiers(fresh.prisma, clock),
        ensureDefaultFeeTiers(fresh.prisma, clock),
      ]);
      expect(made.flat()).toHaveLength(4);
      expect(await fresh.prisma.feeTier.count()).toBe(4);
    } finally {
      await fresh.close();
    }
  });
});

describe("scheduling tiers (organisation / unified has the default tier from 2000, open-ended)", () => {
  const key = { certType: "personal", payerClass: "unified" } as const;
  const d = (s: string) => new Date(s);

  test("refuses an overlapping open-ended tier unless the admin closes the current one", async () => {
    const input: FeeTierInput = { ...key, fenPerYear: 1000, effectiveFrom: d("2027-01-01T00:00:00+08:00") };
    expect(await codeOf(createFeeTier(open.prisma, input, ADMIN, clock))).toBe("FEE_TIER_OVERLAP");
    expect(await listFeeTiers(open.prisma, key)).toHaveLength(1);

    const tier = await createFeeTier(open.prisma, { ...input, closeOpenEnded: true }, ADMIN, clock);
    const tiers = await listFeeTiers(open.prisma, key);
    expect(tiers.map((t) => [t.fenPerYear, t.effectiveTo?.toISOString() ?? null])).toEqual([
      [0, "2026-12-31T16:00:00.000Z"],
      [1000, null],
    ]);
    expect(tier.createdBy).toBe("admin-1");
    // the boundary is exact: the old price to the last second, the new one from the first
    expect((await priceFor(open.prisma, key, new Date(input.effectiveFrom.getTime() - SECOND))).priceFen).toBe(0);
    expect((await priceFor(open.prisma, key, input.effectiveFrom)).priceFen).toBe(1000);

    const audit = await open.prisma.auditEvent.findMany({
      where: { targetType: "fee_tier", actorId: "admin-1" },
      orderBy: { seq: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(["fee_tier.closed", "fee_tier.created"]);
    expect((await verifyAuditChain(open.prisma)).ok).toBe(true);
  });

  // state now: 0 until 2027-01-01 (Beijing), 1000 open-ended from then
  const cases: [string, Partial<FeeTierInput>, string][] = [
    [
      "refuses a tier inside the current one's span",
      { effectiveFrom: d("2026-12-01T00:00:00Z"), effectiveTo: d("2026-12-15T00:00:00Z") },
      "FEE_TIER_OVERLAP",
    ],
    [
      "refuses a bounded tier overlapping the open-ended one by one second",
      { effectiveFrom: d("2027-03-01T00:00:00Z"), effectiveTo: d("2027-04-01T00:00:00Z") },
      "FEE_TIER_OVERLAP",
    ],
    [
      "closing only applies to an open-ended tier starting earlier",
      { effectiveFrom: d("2026-12-20T00:00:00Z"), closeOpenEnded: true },
      "FEE_TIER_OVERLAP",
    ],
    ["refuses a tier that starts in the past", { effectiveFrom: d("2026-11-25T01:59:59Z") }, "FEE_TIER_RETROACTIVE"],
    [
      "refuses a negative fee",
      { fenPerYear: -1, effectiveFrom: d("2030-01-01T00:00:00Z"), closeOpenEnded: true },
      "FEE_TIER_INVALID",
    ],
    [
      "refuses a fractional fee",
      { fenPerYear: 10.5, effectiveFrom: d("2030-01-01T00:00:00Z"), closeOpenEnded: true },
      "FEE_TIER_INVALID",
    ],
    [
      "refuses an end before the start",
      { effectiveFrom: d("2030-01-01T00:00:00Z"), effectiveTo: d("2029-01-01T00:00:00Z") },
      "FEE_TIER_INVALID",
    ],
    [
      "other keys are independent",
      { certType: "organisation", payerClass: "self", effectiveFrom: d("2031-01-01T00:00:00Z"), closeOpenEnded: true },
      "ok",
    ],
  ];
  test.each(cases)("%s", async (_, patch, expected) => {
    const before = await open.prisma.feeTier.count();
    const outcome = await codeOf(
      createFeeTier(
        open.prisma,
        { ...key, fenPerYear: 2000, effectiveFrom: d("2030-01-01T00:00:00Z"), ...patch },
        ADMIN,
        clock,
      ),
    );
    expect(outcome).toBe(expected);
    expect(await open.prisma.feeTier.count()).toBe(before + (expected === "ok" ? 1 : 0));
  });

  test("two admins scheduling overlapping tiers at once: one wins, one is refused", async () => {
    const k = { certType: "organisation", payerClass: "unified" } as const;
    const input = { ...k, fenPerYear: 3000, effectiveFrom: d("2028-01-01T00:00:00Z"), closeOpenEnded: true };
    const outcomes = await Promise.all(
      [
        createFeeTier(open.prisma, input, ADMIN, clock),
        createFeeTier(open.prisma, { ...input, fenPerYear: 4000 }, ADMIN, clock),
      ].map(codeOf),
    );
    expect(outcomes.sort()).toEqual(["FEE_TIER_OVERLAP", "ok"]);
    expect(await listFeeTiers(open.prisma, k)).toHaveLength(2);
  });
});
