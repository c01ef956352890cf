import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "@/lib/dev/testing/clock";
import type { OpenDb } from "@/lib/db";
import type { Certificate, OrderState } from "@/lib/generated/prisma/client";
import type { Ca } from "@/lib/pki/ca";
import { currentCrl } from "@/lib/pki/crl";
import { revocationChallenge, revokeByHolder } from "@/lib/services/revoke";
import { openssl } from "@/tests/helpers/pki";
import { ACTOR, ORIGIN, holder, signChallenge, useServicesDb } from "./fixture";

const NOW = new Date("2026-11-25T02:00:00.000Z");
const clock = fixedClock(NOW.toISOString());
const env = useServicesDb();
let db: OpenDb;
let ca: Ca;
beforeAll(() => {
  db = env.db();
  ca = env.ca();
});

async function signed(der: Buffer, key: Parameters<typeof signChallenge>[1]) {
  const { text } = await revocationChallenge(db.prisma, {
    certificateDer: der,
    origin: ORIGIN,
    clock,
    rateKey: `k${Math.random()}`,
  });
  return { challengeText: text, signatureB64: signChallenge(text, key) };
}

const base = { origin: ORIGIN, locale: "zh-CN" as const, clock, actor: ACTOR, pay: envPayments };

/** An open renewal order of `row` in `state`, inserted directly. */
function openOrder(row: Certificate, state: OrderState, orderNo: string) {
  return db.prisma.renewalOrder.create({
    data: {
      orderNo,
      certificateId: row.id,
      openCertificateId: row.id,
      state,
      certSerial: row.serial,
      holderName: row.holderName,
      certType: row.certType,
      payerClass: row.payerClass,
      fenPerYear: 5000,
      years: 1,
      priceFen: 5000,
      newNotAfter: new Date(row.notAfter.getTime() + 365 * 86_400_000),
      handlerName: "h",
      handlerIdType: "id_card",
      handlerIdEnc: "x",
      handlerIdLast4: "1234",
      handlerMobileEnc: "x",
      handlerMobileLast4: "0000",
      handlerEmail: "h@example.cn",
    },
  });
}

describe("revocation by the holder", () => {
  it("revokes with proof of possession: CRL lists it, the mail is queued, the audit names the holder", async () => {
    const { row, der, key } = await holder(db.prisma, ca, NOW, 100);
    const out = await revokeByHolder(db.prisma, {
      ...(await signed(der, key)),
      reason: "keyCompromise",
      confirmed: true,
      ...base,
      ca,
    });
    expect(out).toMatchObject({ serial: row.serial, reason: "keyCompromise" });
    const after = await db.prisma.certificate.findUniqueOrThrow({ where: { id: row.id } });
    expect(after).toMatchObject({ status: "revoked", revocationReason: 1 });
    const mail = await db.prisma.mailOutbox.findFirstOrThrow({
      where: { certificateId: row.id, template: "revocation_confirmed" },
    });
    expect(mail.to).toBe("holder@example.cn");
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { action: "certificate.revoked", targetId: row.id },
    });
    expect(audit).toMatchObject({ actorType: "holder", actorId: row.id, ip: ACTOR.ip });

    const tmp = mkdtempSync(path.join(os.tmpdir(), "revoke-crl-"));
    const { der: crl } = await currentCrl(db.prisma, { ca, clock });
    writeFileSync(path.join(tmp, "crl.der"), crl);
    const text = openssl(["crl", "-inform", "DER", "-in", path.join(tmp, "crl.der"), "-noout", "-text"]);
    expect(text.toUpperCase()).toContain(row.serial.toUpperCase().replace(/^0+/, ""));
    expect(text).toContain("Key Compromise");
  });

  it("refuses without the explicit confirmation and changes nothing", async () => {
    const { row, der, key } = await holder(db.prisma, ca, NOW, 100);
    await expect(
      revokeByHolder(db.prisma, { ...(await signed(der, key)), reason: "superseded", confirmed: false, ...base, ca }),
    ).rejects.toMatchObject({ code: "REVOKE_NOT_CONFIRMED" });
    expect((await db.prisma.certificate.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("active");
  });

  it("refuses a reason the holder may not choose (cACompromise)", async () => {
    const { der, key } = await holder(db.prisma, ca, NOW, 100);
    await expect(
      revokeByHolder(db.prisma, { ...(await signed(der, key)), reason: "cACompromise", confirmed: true, ...base, ca }),
    ).rejects.toMatchObject({ code: "REVOKE_REASON_INVALID" });
  });

  it("refuses a signature by another key and a reused challenge", async () => {
    const { row, der, key } = await holder(db.prisma, ca, NOW, 100);
    const other = await holder(db.prisma, ca, NOW, 100);
    const proof = await signed(der, key);
    await expect(
      revokeByHolder(db.prisma, {
        ...proof,
        signatureB64: signChallenge(proof.challengeText, other.key),
        reason: "superseded",
        confirmed: true,
        ...base,
        ca,
      }),
    ).rejects.toMatchObject({ code: "POP_SIGNATURE_INVALID" });
    await expect(
      revokeByHolder(db.prisma, { ...proof, reason: "superseded", confirmed: true, ...base, ca }),
    ).rejects.toMatchObject({ code: "POP_CHALLENGE_USED" });
    expect((await db.prisma.certificate.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("active");
  });

  it("refuses while a renewal order is paid or issuing, even after the challenge was handed out", async () => {
    for (const state of ["paid", "issuing"] as const) {
      const { row, der, key } = await holder(db.prisma, ca, NOW, 10);
      const proof = await signed(der, key);
      await openOrder(row, state, `R20261125${state.toUpperCase().padEnd(10, "0").slice(0, 10)}`);
      await expect(
        revokeByHolder(db.prisma, { ...proof, reason: "superseded", confirmed: true, ...base, ca }),
      ).rejects.toMatchObject({ code: "REVOKE_ORDER_IN_PROGRESS", details: { orderState: state } });
      await expect(
        revocationChallenge(db.prisma, { certificateDer: der, origin: ORIGIN, clock, rateKey: "x" }),
      ).rejects.toMatchObject({ code: "REVOKE_ORDER_IN_PROGRESS" });
      expect((await db.prisma.certificate.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("active");
    }
  });

  it("cancels an unpaid draft order through the order state machine, then revokes", async () => {
    const { row, der, key } = await holder(db.prisma, ca, NOW, 10);
    const order = await openOrder(row, "draft", "R20261125DRAFT00001");
    await revokeByHolder(db.prisma, {
      ...(await signed(der, key)),
      reason: "cessationOfOperation",
      confirmed: true,
      ...base,
      ca,
    });
    expect(await db.prisma.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).toMatchObject({
      state: "cancelled",
      openCertificateId: null,
    });
  });

  it("refuses a second revocation of the same certificate", async () => {
    const { der, key } = await holder(db.prisma, ca, NOW, 100);
    await revokeByHolder(db.prisma, {
      ...(await signed(der, key)),
      reason: "superseded",
      confirmed: true,
      ...base,
      ca,
    });
    await expect(
      revocationChallenge(db.prisma, { certificateDer: der, origin: ORIGIN, clock, rateKey: "y" }),
    ).rejects.toMatchObject({ code: "CERT_ALREADY_REVOKED" });
  });
});
