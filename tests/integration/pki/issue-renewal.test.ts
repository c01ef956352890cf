import "@/tests/helpers/env";
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "@/lib/dev/testing/clock";
import type { OpenDb } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import type { Ca } from "@/lib/pki/ca";
import { createCsr } from "@/lib/dev/testing/csr-build";
import { issueRenewal } from "@/lib/pki/issue";
import { revokeCertificate } from "@/lib/pki/revoke";
import { certificateInfo } from "@/lib/pki/cert-info";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa, insertHolderCertificate } from "@/tests/helpers/pki";
import { withTx } from "@/lib/audit";
import { parseCsr } from "@/lib/pki/csr";

const NOW = new Date("2026-11-25T06:00:00Z");
const clock = fixedClock(NOW);

describe("issueRenewal", () => {
  let db: OpenDb;
  let ca: Ca;
  beforeAll(async () => {
    db = await createTestDb();
    ({ ca } = await createTestCa("P-256"));
  });
  afterAll(() => db?.close());

  const oldCert = (notAfter = new Date("2026-12-10T17:38:33Z")) =>
    insertHolderCertificate(db.prisma, ca, {
      notBefore: new Date("2025-12-10T17:38:33Z"),
      notAfter,
      certType: "organisation",
      payerClass: "unified",
    });
  const newCsr = () =>
    createCsr(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey, { C: "US", CN: "someone else" });

  it("stores the renewed certificate: now → old notAfter + 1 year, holder data and subject copied, linked to the old one", async () => {
    const old = await oldCert();
    const cert = await withTx(db.prisma, (tx) =>
      issueRenewal(tx, { oldCertificate: old.row, csr: parseCsr(newCsr()), orderId: "o-1", clock, ca }),
    );
    expect(cert.notBefore.toISOString()).toBe("2026-11-25T06:00:00.000Z");
    expect(cert.notAfter.toISOString()).toBe("2027-12-10T17:38:33.000Z");
    expect(cert).toMatchObject({
      previousId: old.row.id,
      status: "active",
      certType: "organisation",
      payerClass: "unified",
      holderName: old.row.holderName,
      holderIdHash: old.row.holderIdHash,
      tokenSerial: "TOKEN0001",
      issuerDn: ca.issuerDn,
    });
    const info = certificateInfo(Buffer.from(cert.der));
    expect(info.subjectDn).toBe(old.row.subjectDn);
    expect(info.serial).toBe(cert.serial);
    expect(info.spkiSha256).toBe(cert.spkiSha256);
    expect(info.notAfter.toISOString()).toBe("2027-12-10T17:38:33.000Z");
    const audit = await db.prisma.auditEvent.findFirst({ where: { action: "certificate.issued", targetId: cert.id } });
    expect(audit?.data).toMatchObject({ orderId: "o-1", previousSerial: old.row.serial });
  });

  it("returns the same certificate when called twice for the same old certificate", async () => {
    const old = await oldCert();
    const first = await withTx(db.prisma, (tx) =>
      issueRenewal(tx, { oldCertificate: old.row, csr: parseCsr(newCsr()), orderId: "o-2", clock, ca }),
    );
    const again = await withTx(db.prisma, (tx) =>
      issueRenewal(tx, { oldCertificate: old.row, csr: parseCsr(newCsr()), orderId: "o-2", clock, ca }),
    );
    expect(again.id).toBe(first.id);
    expect(await db.prisma.certificate.count({ where: { previousId: old.row.id } })).toBe(1);
  });

  it("refuses a CSR with the old certificate's key (CSR_KEY_REUSED) and stores nothing", async () => {
    const old = await oldCert();
    const before = await db.prisma.certificate.count();
    await expect(
      withTx(db.prisma, (tx) =>
        issueRenewal(tx, { oldCertificate: old.row, csr: parseCsr(createCsr(old.key)), orderId: "o-3", clock, ca }),
      ),
    ).rejects.toMatchObject({ code: "CSR_KEY_REUSED" });
    expect(await db.prisma.certificate.count()).toBe(before);
  });

  it("refuses a bad CSR with its code and stores nothing", async () => {
    const old = await oldCert();
    const before = await db.prisma.certificate.count();
    const err = await withTx(db.prisma, (tx) =>
      issueRenewal(tx, { oldCertificate: old.row, csr: parseCsr(Buffer.from("junk")), orderId: "o-4", clock, ca }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("CSR_MALFORMED");
    expect(await db.prisma.certificate.count()).toBe(before);
  });

  it("draws another serial when the first one is already taken", async () => {
    const old = await oldCert();
    const taken = old.row.serial;
    const serials = [taken, "4bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"];
    const cert = await withTx(db.prisma, (tx) =>
      issueRenewal(tx, {
        oldCertificate: old.row,
        csr: parseCsr(newCsr()),
        orderId: "o-5",
        clock,
        ca,
        serial: () => serials.shift()!,
      }),
    );
    expect(cert.serial).toBe("4bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  });
});

describe("revokeCertificate", () => {
  let db: OpenDb;
  let ca: Ca;
  beforeAll(async () => {
    db = await createTestDb();
    ({ ca } = await createTestCa("P-256"));
  });
  afterAll(() => db?.close());
  const actor = { type: "staff" as const, id: "admin-1", ip: "127.0.0.1" };

  it("marks the certificate revoked with time and reason, audits it and issues a new CRL", async () => {
    const { row } = await insertHolderCertificate(db.prisma, ca, {
      notBefore: NOW,
      notAfter: new Date("2027-01-01T00:00:00Z"),
    });
    const crlsBefore = await db.prisma.crl.count();
    await withTx(db.prisma, (tx) =>
      revokeCertificate(tx, { serial: row.serial.toUpperCase(), reason: "superseded", clock, actor, ca }),
    );
    const after = await db.prisma.certificate.findUniqueOrThrow({ where: { id: row.id } });
    expect(after).toMatchObject({ status: "revoked", revocationReason: 4 });
    expect(after.revokedAt?.toISOString()).toBe(NOW.toISOString());
    expect(await db.prisma.crl.count()).toBe(crlsBefore + 1);
    expect(
      await db.prisma.auditEvent.count({
        where: { action: "certificate.revoked", targetId: row.id, actorId: "admin-1" },
      }),
    ).toBe(1);
  });

  it("refuses to revoke twice, an unknown serial and an invalid reason, changing nothing", async () => {
    const { row } = await insertHolderCertificate(db.prisma, ca, {
      notBefore: NOW,
      notAfter: new Date("2027-01-01T00:00:00Z"),
    });
    await withTx(db.prisma, (tx) => revokeCertificate(tx, { serial: row.serial, reason: 1, clock, actor, ca }));
    const crls = await db.prisma.crl.count();
    await expect(
      withTx(db.prisma, (tx) => revokeCertificate(tx, { serial: row.serial, reason: 1, clock, actor, ca })),
    ).rejects.toMatchObject({ code: "CERT_ALREADY_REVOKED" });
    await expect(
      withTx(db.prisma, (tx) => revokeCertificate(tx, { serial: "40ff", reason: 1, clock, actor, ca })),
    ).rejects.toMatchObject({ code: "CERT_NOT_FOUND" });
    await expect(
      withTx(db.prisma, (tx) => revokeCertificate(tx, { serial: row.serial, reason: 7, clock, actor, ca })),
    ).rejects.toMatchObject({ code: "REVOCATION_REASON_INVALID" });
    expect(await db.prisma.crl.count()).toBe(crls);
  });
});
