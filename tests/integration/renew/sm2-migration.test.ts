import "@/tests/helpers/env";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { withTx } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { generateSm2KeyPair, sm2KeyObject, sm2PairOfKeyObject, sm2Sign, type Sm2KeyPair } from "@/lib/crypto/sm2";
import type { Db } from "@/lib/db";
import { createCsr } from "@/lib/dev/testing/csr-build";
import type { Ca } from "@/lib/pki/ca";
import { certificateInfo } from "@/lib/pki/cert-info";
import { addOneYear } from "@/lib/pki/issue";
import { sha256Hex } from "@/lib/pki/x509";
import { issueForOrder, renewalKeyAlgorithm } from "@/lib/renewal/issue-order";
import { renewalSummary } from "@/lib/renewal/flow";
import { issueChallenge } from "@/lib/renewal/pop";
import { migrateRsaToSm2 } from "@/lib/settings";
import { updateSetting } from "@/lib/settings/policy";
import { insertHolderCertificate } from "@/tests/helpers/pki";
import { holderActor, newClock, NOW, useRenewWorld, signText, submitOrder } from "./fixture";

const DAY = 86_400_000;
const admin = { type: "staff" as const, id: "admin-1" };

let db: Db;
let ca: Ca;

const world = useRenewWorld({ algorithm: "SM2" });
beforeAll(() => ({ db, ca } = world));

/** A unified-payment holder with a confirmed order, ready for 下证. */
async function readyHolder(key: KeyObject) {
  const notAfter = new Date(new Date(NOW).getTime() + 10 * DAY);
  const h = await insertHolderCertificate(db, ca, {
    notBefore: new Date(notAfter.getTime() - 365 * DAY),
    notAfter,
    certType: "personal",
    payerClass: "unified",
    subject: {
      C: "CN",
      ST: "SD",
      L: "dezhou",
      OU: "I370101000000001",
      CN: `迁移测试${Math.random().toString().slice(2, 8)}`,
    },
    key,
  });
  const order = await submitOrder(db, h.row.id);
  return { ...h, order };
}

/** 下证 with `csr`, the issue challenge signed by the old key (RSA/ECDSA, or SM2 with the default ID). */
async function issue(h: Awaited<ReturnType<typeof readyHolder>>, csr: Buffer) {
  const clock = newClock();
  const { text } = await issueChallenge(db, {
    serial: h.row.serial,
    origin: getConfig().publicOrigin,
    purpose: "issue",
    clock,
    csrSha256: sha256Hex(csr),
  });
  const sm2 = sm2PairOfKeyObject(h.key);
  const signatureB64 = sm2
    ? sm2Sign(Buffer.from(text), sm2.privateKey, { publicKey: sm2.publicKey }).toString("base64")
    : signText(h.key, text);
  return issueForOrder(db, {
    orderId: h.order.id,
    csrDer: csr,
    challengeText: text,
    signatureB64,
    origin: getConfig().publicOrigin,
    actor: holderActor,
    clock,
    certificateId: h.row.id,
    ca,
  });
}

/** The summary's step and the key it asks the token for. */
async function summaryKey(certificateId: string) {
  const s = await renewalSummary(db, { certificateId, clock: newClock(), keys: getConfig() });
  return { step: s.step, newKeyAlgorithm: s.newKeyAlgorithm };
}

const rsa = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe("SM2 holders and the RSA → SM2 migration setting", () => {
  it("an SM2 holder proves possession with an SM2 signature and renews with an SM2 key", async () => {
    const h = await readyHolder(sm2KeyObject(generateSm2KeyPair()));
    expect(await renewalKeyAlgorithm(db, h.row)).toBeUndefined();
    const r = await issue(h, createCsr(generateSm2KeyPair(), { C: "CN", CN: "ignored" }));
    expect(r.certificate.keyAlgorithm).toBe("SM2");
    expect(r.certificate.subjectDn).toBe(h.row.subjectDn);
  });

  it("the admin setting takes 是/否 in the form, is audited, and is off by default", async () => {
    expect(await migrateRsaToSm2(db)).toBe(false);
    await updateSetting(db, "renewal.migrateRsaToSm2", "是", admin, newClock());
    expect(await migrateRsaToSm2(db)).toBe(true);
    await expect(updateSetting(db, "renewal.migrateRsaToSm2", "maybe", admin, newClock())).rejects.toMatchObject({
      code: "STAFF_SETTING_INVALID",
    });
    await updateSetting(db, "renewal.migrateRsaToSm2", "否", admin, newClock());
    expect(await migrateRsaToSm2(db)).toBe(false);
    const audit = await db.auditEvent.findMany({
      where: { action: "setting.updated", targetId: "renewal.migrateRsaToSm2" },
    });
    expect(audit).toHaveLength(2);
  });

  it("with the migration on, an RSA holder must bring an SM2 key: same subject, validity one year after the old expiry", async () => {
    await updateSetting(db, "renewal.migrateRsaToSm2", true, admin, newClock());
    try {
      const h = await readyHolder(rsa());
      expect(await renewalKeyAlgorithm(db, h.row)).toBe("SM2");
      // the 下证 page learns it from the summary (the wizard draws that page in the browser)
      expect(await summaryKey(h.row.id)).toEqual({ step: "issue", newKeyAlgorithm: "SM2" });
      expect(await codeOf(issue(h, createCsr(rsa(), { C: "CN", CN: "x" })))).toBe("CSR_UNSUPPORTED_ALGORITHM");
      const pair: Sm2KeyPair = generateSm2KeyPair();
      const r = await issue(h, createCsr(pair, { C: "CN", CN: "x" }));
      const info = certificateInfo(Buffer.from(r.certificate.der));
      expect(info.keyAlgorithm).toBe("SM2");
      expect(info.subjectDn).toBe(h.row.subjectDn);
      expect(info.notAfter.toISOString()).toBe(addOneYear(h.row.notAfter).toISOString());
      // a P-256 holder is not an RSA holder: it keeps its family
      const ec = await readyHolder(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
      expect(await renewalKeyAlgorithm(db, ec.row)).toBeUndefined();
      expect(await summaryKey(ec.row.id)).toEqual({ step: "issue", newKeyAlgorithm: undefined });
    } finally {
      await withTx(db, (tx) => tx.setting.deleteMany({ where: { key: "renewal.migrateRsaToSm2" } }));
    }
  });

  it("with the migration off, an RSA holder renews with RSA as before", async () => {
    const h = await readyHolder(rsa());
    expect(await renewalKeyAlgorithm(db, h.row)).toBeUndefined();
    expect(await summaryKey(h.row.id)).toEqual({ step: "issue", newKeyAlgorithm: undefined });
    const r = await issue(h, createCsr(rsa(), { C: "CN", CN: "x" }));
    expect(r.certificate.keyAlgorithm).toBe("RSA-2048");
  });
});
