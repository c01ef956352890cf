import "@/tests/helpers/env";
import { beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "@/lib/dev/testing/clock";
import type { OpenDb } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { revokeCertificate } from "@/lib/pki/revoke";
import { certificateStatus, normaliseSerialInput } from "@/lib/services/status";
import { ACTOR, DAY, holder, useServicesDb } from "./fixture";
import { withTx } from "@/lib/audit";

const NOW = new Date("2026-11-25T02:00:00.000Z");
const clock = fixedClock(NOW.toISOString());
const env = useServicesDb();
let db: OpenDb;
let ca: Ca;
beforeAll(() => {
  db = env.db();
  ca = env.ca();
});

const ctx = (rateKey = "t") => ({ clock, rateKey });

describe("certificate status", () => {
  it("reports a certificate 60 days from expiry as valid, renewable from 30 days before expiry", async () => {
    const { row } = await holder(db.prisma, ca, NOW, 60);
    const s = await certificateStatus(db.prisma, { serial: row.serial }, ctx());
    expect(s.state).toBe("valid");
    expect(s.renewal).toMatchObject({
      renewable: false,
      blockedBy: "RENEWAL_TOO_EARLY",
      opensAt: new Date(row.notAfter.getTime() - 30 * DAY).toISOString(),
    });
  });

  it("reports a certificate 10 days from expiry as renewable now", async () => {
    const { row } = await holder(db.prisma, ca, NOW, 10);
    const s = await certificateStatus(db.prisma, { serial: row.serial.toUpperCase().match(/../g)!.join(":") }, ctx());
    expect(s.state).toBe("renewable");
    expect(s.renewal.renewable).toBe(true);
  });

  it("reports an expired certificate as expired and not renewable online", async () => {
    const { row } = await holder(db.prisma, ca, NOW, -2);
    const s = await certificateStatus(db.prisma, { serial: row.serial }, ctx());
    expect(s.state).toBe("expired");
    expect(s.renewal).toMatchObject({ renewable: false, blockedBy: "RENEWAL_EXPIRED" });
  });

  it("reports a revoked certificate with its date and reason", async () => {
    const { row } = await holder(db.prisma, ca, NOW, 20);
    await withTx(db.prisma, (tx) =>
      revokeCertificate(tx, { serial: row.serial, reason: "keyCompromise", clock, actor: ACTOR, ca }),
    );
    const s = await certificateStatus(db.prisma, { serial: row.serial }, ctx());
    expect(s).toMatchObject({
      state: "revoked",
      revocationReason: "keyCompromise",
      revokedAt: NOW.toISOString(),
      renewal: { renewable: false, blockedBy: "CERT_REVOKED" },
    });
  });

  it("reports a renewed certificate as superseded and names its successor", async () => {
    const { row: old } = await holder(db.prisma, ca, NOW, 5);
    const { row: next } = await holder(db.prisma, ca, NOW, 370);
    await db.prisma.certificate.update({ where: { id: next.id }, data: { previousId: old.id } });
    await db.prisma.certificate.update({ where: { id: old.id }, data: { status: "superseded" } });
    const s = await certificateStatus(db.prisma, { serial: old.serial }, ctx());
    expect(s.state).toBe("superseded");
    expect(s.successor?.serial).toBe(next.serial);
  });

  it("shows no personal data for a typed serial, and the subject when the certificate itself is presented", async () => {
    const { row, der } = await holder(db.prisma, ca, NOW, 12);
    const bySerial = await certificateStatus(db.prisma, { serial: row.serial }, ctx());
    expect(bySerial.subject).toBeUndefined();
    expect(JSON.stringify(bySerial)).not.toContain(row.holderName);
    expect(JSON.stringify(bySerial)).not.toContain("1234");
    const byKey = await certificateStatus(db.prisma, { certificateDer: der }, ctx());
    expect(byKey.subject?.holderName).toBe(row.holderName);
  });

  it("refuses a malformed serial and says when a serial is unknown", async () => {
    expect(() => normaliseSerialInput("zz-12")).toThrow("STATUS_SERIAL_INVALID");
    await expect(certificateStatus(db.prisma, { serial: "abcdef0123" }, ctx())).rejects.toMatchObject({
      code: "STATUS_NOT_FOUND",
    });
  });

  it("rate-limits queries per client: the 31st in a minute is refused", async () => {
    const { row } = await holder(db.prisma, ca, NOW, 40);
    for (let i = 0; i < 30; i++) await certificateStatus(db.prisma, { serial: row.serial }, ctx("busy"));
    await expect(certificateStatus(db.prisma, { serial: row.serial }, ctx("busy"))).rejects.toMatchObject({
      code: "RATE_LIMITED",
    });
  });
});
