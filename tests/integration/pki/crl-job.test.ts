import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOUR, type Clock } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import type { OpenDb } from "@/lib/db/client";
import { serverJobs } from "@/lib/runtime/jobs";
import { getConfig } from "@/lib/config";
import { acquireLease, runExclusive } from "@/lib/jobs/lease";
import { getCa, resetCa, type Ca } from "@/lib/pki/ca";
import { crlRefreshJob as crlRefreshJobWith } from "@/lib/pki/crl";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa, openssl, writePem } from "@/tests/helpers/pki";

describe("CRL refresh job", () => {
  // the job signs with the process CA (getCa), as lib/runtime/jobs.ts wires it
  const crlRefreshJob = crlRefreshJobWith(getCa);
  let db: OpenDb;
  let dir: string;
  let ca: Ca;
  // what the scheduler does on every tick (lib/jobs/scheduler.ts): run the job under its lease
  const tick = (clock: Clock) =>
    runExclusive(db.prisma, crlRefreshJob.name, 60_000, clock, () => crlRefreshJob.run(db.prisma, clock));

  beforeAll(async () => {
    db = await createTestDb();
    ({ ca, dir } = await createTestCa("P-256"));
    resetCa(); // the job signs with the process CA (getCa), i.e. the CA_DIR createTestCa just configured
  });
  afterAll(() => db.close());

  it("is scheduled with the portal's jobs", () => {
    expect(serverJobs(getConfig()).map((j) => j.name)).toContain(crlRefreshJob.name);
  });

  it("signs a CRL when none exists, then again only once the newest is a day old", async () => {
    const clock = fixedClock("2026-12-01T00:00:00Z");
    expect(await tick(clock)).toEqual({ signed: true });
    clock.advance(23 * HOUR);
    expect(await tick(clock)).toEqual({ signed: false });
    clock.advance(HOUR);
    expect(await tick(clock)).toEqual({ signed: true });

    const crls = await db.prisma.crl.findMany({ orderBy: { crlNumber: "asc" } });
    expect(crls.map((c) => c.crlNumber)).toEqual([1, 2]);
    const { issuing } = writePem(dir, { issuing: ca.issuingCert });
    const text = openssl(
      ["crl", "-inform", "DER", "-CAfile", issuing, "-verify", "-noout", "-text"],
      Buffer.from(crls[1]!.der),
    );
    expect(text).toContain("verify OK");
    expect(text).toMatch(/CRL Number:\s+2/);
    const lease = await db.prisma.jobLease.findUniqueOrThrow({ where: { name: "pki.crl-refresh" } });
    expect(lease.lastResult).toEqual({ signed: true });
  });

  it("signs nothing while another instance holds its lease", async () => {
    const clock = fixedClock("2026-12-05T00:00:00Z");
    expect(await acquireLease(db.prisma, crlRefreshJob.name, 10 * 60_000, clock, "other-instance")).toBe(true);
    const before = await db.prisma.crl.count();
    expect(await tick(clock)).toBeUndefined();
    expect(await db.prisma.crl.count()).toBe(before);
  });
});
