import { describe, expect, test } from "vitest";
import { DAY, SECOND } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import type { Tx } from "@/lib/db";
import type { Certificate, RenewalOrder } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/errors";
import { checkEligibility, renewalPreview } from "./eligibility";

// 2018-08-03 17:38:33 Beijing time: the seed's old certificate
const NOT_AFTER = new Date("2018-08-03T09:38:33Z");

function cert(patch: Partial<Certificate> = {}): Certificate {
  return {
    id: "c1",
    certType: "personal",
    payerClass: "self",
    status: "active",
    notAfter: NOT_AFTER,
    ...patch,
  } as Certificate;
}

/** Only what eligibility reads: settings and the certificate's open order (raw queries: lib/db/lean.ts). */
function fakeDb(opts: { settings?: Record<string, unknown>; openOrder?: Partial<RenewalOrder> } = {}): Tx {
  return {
    $queryRawUnsafe: async (sql: string, keys?: unknown) => {
      if (/FROM "Setting" WHERE "key" = ANY/.test(sql))
        return Object.entries(opts.settings ?? {})
          .filter(([key]) => (keys as string[]).includes(key))
          .map(([key, value]) => ({ key, value }));
      if (/FROM "RenewalOrder" WHERE "openCertificateId" = \$1$/.test(sql))
        return opts.openOrder ? [{ id: "o1", ...opts.openOrder }] : [];
      throw new Error(`unexpected ${sql}`);
    },
  } as unknown as Tx;
}

async function outcome(at: Date, c: Certificate | null = cert(), db = fakeDb(), windowDays?: number): Promise<string> {
  try {
    const r = await checkEligibility(db, c, fixedClock(at), windowDays ? { windowDays } : {});
    return r.openOrder ? `ok:${r.openOrder.state}` : "ok";
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
}

describe("renewal window (30 days before expiry, to the second)", () => {
  const cases: [string, number, string][] = [
    ["refuses renewal 31 days before expiry", -31 * DAY, "RENEWAL_TOO_EARLY"],
    ["refuses renewal 30 days + 1 s before expiry", -30 * DAY - SECOND, "RENEWAL_TOO_EARLY"],
    ["allows renewal exactly 30 days before expiry", -30 * DAY, "ok"],
    ["allows renewal 30 days − 1 s before expiry", -30 * DAY + SECOND, "ok"],
    ["allows renewal 1 s before expiry", -SECOND, "ok"],
    ["refuses renewal at the moment of expiry", 0, "RENEWAL_EXPIRED"],
    ["refuses renewal 1 s after expiry", SECOND, "RENEWAL_EXPIRED"],
    ["refuses renewal a year after expiry", 365 * DAY, "RENEWAL_EXPIRED"],
  ];
  test.each(cases)("%s", async (_, offset, expected) => {
    expect(await outcome(new Date(NOT_AFTER.getTime() + offset))).toBe(expected);
  });

  test("too early says from when renewal opens, in UTC and Beijing time", async () => {
    const err = await checkEligibility(fakeDb(), cert(), fixedClock(new Date(NOT_AFTER.getTime() - 40 * DAY))).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).details).toMatchObject({
      opensAt: "2018-07-04T09:38:33.000Z",
      opensAtLocal: "2018-07-04 17:38:33",
      windowDays: 30,
    });
  });

  test("returns the window on success", async () => {
    const r = await checkEligibility(fakeDb(), cert(), fixedClock(new Date(NOT_AFTER.getTime() - DAY)));
    expect(r).toEqual({ ok: true, opensAt: new Date("2018-07-04T09:38:33Z"), closesAt: NOT_AFTER });
  });
});

describe("window length is configuration per profile", () => {
  const at = new Date(NOT_AFTER.getTime() - 40 * DAY);
  test.each([
    ["default 30 days", {}, "personal", "RENEWAL_TOO_EARLY"],
    ["global setting 45", { "renewal.windowDays": 45 }, "personal", "ok"],
    [
      "profile setting wins over the global one",
      { "renewal.windowDays": 45, "renewal.windowDays.personal": 35 },
      "personal",
      "RENEWAL_TOO_EARLY",
    ],
    [
      "another profile's setting does not apply",
      { "renewal.windowDays.organisation": 60 },
      "personal",
      "RENEWAL_TOO_EARLY",
    ],
    [
      "organisation setting applies to organisation certificates",
      { "renewal.windowDays.organisation": 60 },
      "organisation",
      "ok",
    ],
    ["a nonsense setting falls back to 30", { "renewal.windowDays": "abc" }, "personal", "RENEWAL_TOO_EARLY"],
  ] as const)("%s", async (_, settings, certType, expected) => {
    expect(await outcome(at, cert({ certType }), fakeDb({ settings }))).toBe(expected);
  });

  test("an explicit windowDays option overrides the settings", async () => {
    expect(await outcome(at, cert(), fakeDb({ settings: { "renewal.windowDays": 10 } }), 41)).toBe("ok");
  });
});

describe("certificate status and open orders", () => {
  const inWindow = new Date(NOT_AFTER.getTime() - 5 * DAY);
  const expired = new Date(NOT_AFTER.getTime() + 5 * DAY);
  const cases: [string, Date, Certificate | null, Partial<RenewalOrder> | undefined, string][] = [
    ["refuses a certificate the registry does not know", inWindow, null, undefined, "CERT_UNKNOWN"],
    [
      "refuses a revoked certificate inside the window",
      inWindow,
      cert({ status: "revoked" }),
      undefined,
      "CERT_REVOKED",
    ],
    [
      "refuses a revoked certificate even with a paid order",
      inWindow,
      cert({ status: "revoked" }),
      { state: "paid" },
      "CERT_REVOKED",
    ],
    ["refuses a superseded certificate", inWindow, cert({ status: "superseded" }), undefined, "CERT_SUPERSEDED"],
    ["resumes the open draft instead of starting a second order", inWindow, cert(), { state: "draft" }, "ok:draft"],
    ["resumes an order awaiting payment", inWindow, cert(), { state: "awaiting_payment" }, "ok:awaiting_payment"],
    [
      "refuses an unpaid open order once the certificate expired",
      expired,
      cert(),
      { state: "awaiting_payment" },
      "RENEWAL_EXPIRED",
    ],
    [
      "resumes a paid order after the certificate expired (paid ends in a certificate)",
      expired,
      cert(),
      { state: "paid" },
      "ok:paid",
    ],
    [
      "resumes an issued order of a superseded certificate (download still pending)",
      inWindow,
      cert({ status: "superseded" }),
      { state: "issued" },
      "ok:issued",
    ],
  ];
  test.each(cases)("%s", async (_, at, c, openOrder, expected) => {
    expect(await outcome(at, c, fakeDb({ openOrder }))).toBe(expected);
  });
});

describe("renewal preview", () => {
  test("seed example: issued 2018-07-24 17:38:47, old expiry 2018-08-03 17:38:33 → 2019-08-03 17:38:33, 375 days", () => {
    const p = renewalPreview(cert(), { priceFen: 5000, years: 1 }, fixedClock("2018-07-24T09:38:47Z"));
    expect(p).toEqual({ newNotAfter: new Date("2019-08-03T09:38:33Z"), validityDays: 375, priceFen: 5000, years: 1 });
  });

  test("29 February expiry renews to 28 February", () => {
    const p = renewalPreview(
      cert({ notAfter: new Date("2028-02-29T04:00:00Z") }),
      { priceFen: 0, years: 1 },
      fixedClock("2028-02-20T04:00:00Z"),
    );
    expect(p.newNotAfter).toEqual(new Date("2029-02-28T04:00:00Z"));
  });

  test("counts a partial day as a whole day", () => {
    const p = renewalPreview(cert(), { priceFen: 0, years: 1 }, fixedClock("2018-08-03T09:38:33Z"));
    expect(p.validityDays).toBe(365);
    const q = renewalPreview(cert(), { priceFen: 0, years: 1 }, fixedClock("2018-08-03T09:38:32Z"));
    expect(q.validityDays).toBe(366);
  });
});
