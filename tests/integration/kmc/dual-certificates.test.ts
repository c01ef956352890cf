import "@/tests/helpers/env";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTx } from "@/lib/audit";
import { generateSm2KeyPair } from "@/lib/crypto/sm2";
import type { Db, OpenDb } from "@/lib/db";
import { isDomainError } from "@/lib/errors";
import { deliverEncryptionPair, issueEncryptionPair } from "@/lib/kmc/dual";
import { getKmc } from "@/lib/kmc/keys";
import { decideRecovery, deliverRecovery, requestRecovery } from "@/lib/kmc/recovery";
import type { Ca } from "@/lib/pki/ca";
import { openEnvelope, sm2PrivateKeyObject } from "@/lib/token/enveloped-key";
import { fixedClock } from "@/lib/dev/testing/clock";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa, insertHolderCertificate, openssl } from "@/tests/helpers/pki";

/**
 * The KMC half of 下证 for an SM2 holder, on PGlite with a file CA: the encryption key pair escrowed, its
 * certificate issued beside the signing one, and the envelope for the signing key — checked with openssl.
 */

let opened: OpenDb;
let db: Db;
let ca: Ca;
const tmp = mkdtempSync(path.join(os.tmpdir(), "kmc-dual-"));
const clock = fixedClock("2026-11-25T10:00:00.000Z");
/**
 * The holders' signing certificates: valid from before the fixed clock until a year after the real time, since
 * `openssl verify` checks the issued encryption certificate (which copies this validity) against the system clock.
 */
const validity = {
  notBefore: new Date("2026-11-25T00:00:00Z"),
  notAfter: new Date(Date.now() + 365 * 86_400_000),
};

beforeAll(async () => {
  ({ ca } = await createTestCa());
  opened = await createTestDb();
  db = opened.prisma as Db;
});
afterAll(async () => {
  await opened?.close();
});

async function sm2Holder() {
  const pair = generateSm2KeyPair();
  const { row } = await insertHolderCertificate(db, ca, {
    ...validity,
    key: sm2PrivateKeyObject(pair.privateKey),
  });
  return { pair, signing: row };
}

function file(name: string, data: Buffer | string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, data);
  return p;
}

describe("dual certificates: the KMC's encryption pair", () => {
  it("issues the encryption certificate for an escrowed KMC key, once, beside the signing certificate", async () => {
    const { signing } = await sm2Holder();
    const kmc = getKmc();
    const enc = await withTx(db, (tx) => issueEncryptionPair(tx, { signing, kmc, ca, clock, orderId: "order-1" }));
    expect(enc).toMatchObject({
      usage: "encryption",
      signingCertificateId: signing.id,
      subjectDn: signing.subjectDn,
      keyAlgorithm: "SM2",
      status: "active",
    });
    expect(enc.notBefore).toEqual(signing.notBefore);
    expect(enc.notAfter).toEqual(signing.notAfter);
    const again = await withTx(db, (tx) => issueEncryptionPair(tx, { signing, kmc, ca, clock, orderId: "order-1" }));
    expect(again.id).toBe(enc.id);
    const keys = await db.kmcKey.findMany({ where: { orderId: "order-1" } });
    expect(keys).toHaveLength(1);
    expect(keys[0].certificateId).toBe(enc.id);
    expect(keys[0].escrowAlg).toBe("SM4-CBC/HMAC-SM3:v1");

    // openssl: chain, key usage keyEncipherment + dataEncipherment only, the KMC key's SM2 public key
    const pem = new X509Certificate(Buffer.from(enc.der)).toString();
    const certFile = file("enc.pem", pem);
    const chain = file("chain.pem", new X509Certificate(ca.issuingCert).toString());
    const root = file("root.pem", new X509Certificate(ca.rootCert).toString());
    expect(openssl(["verify", "-CAfile", root, "-untrusted", chain, certFile])).toContain("OK");
    const text = openssl(["x509", "-in", certFile, "-noout", "-text"]);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Key Encipherment, Data Encipherment\n/);
    expect(text).toContain("ASN1 OID: SM2");
  });

  it("envelopes the escrowed key to the signing key: opened, its private key matches the encryption certificate (openssl)", async () => {
    const { pair, signing } = await sm2Holder();
    const kmc = getKmc();
    await withTx(db, (tx) => issueEncryptionPair(tx, { signing, kmc, ca, clock, orderId: "order-2" }));
    const signingSpki = new X509Certificate(Buffer.from(signing.der)).publicKey.export({ type: "spki", format: "der" });
    const delivered = await withTx(db, (tx) => deliverEncryptionPair(tx, { signing, signingSpki, kmc }));
    expect(delivered).not.toBeNull();
    const { d } = openEnvelope(delivered!.envelope, pair.privateKey);

    const keyFile = file("enc-key.pem", sm2PrivateKeyObject(d).export({ type: "pkcs8", format: "pem" }));
    const certFile = file("enc2.pem", new X509Certificate(Buffer.from(delivered!.certificate.der)).toString());
    const fromKey = openssl(["pkey", "-in", keyFile, "-pubout"]);
    const fromCert = openssl(["x509", "-in", certFile, "-noout", "-pubkey"]);
    expect(fromKey).toBe(fromCert);

    // a second delivery is a fresh envelope of the same key
    const second = await withTx(db, (tx) => deliverEncryptionPair(tx, { signing, signingSpki, kmc }));
    expect(second!.envelope.equals(delivered!.envelope)).toBe(false);
    expect(openEnvelope(second!.envelope, pair.privateKey).d.equals(d)).toBe(true);
    // the escrowed row never holds the key in clear
    const row = await db.kmcKey.findUniqueOrThrow({ where: { certificateId: delivered!.certificate.id } });
    expect(Buffer.from(row.escrowed).includes(d)).toBe(false);
  });

  it("refuses to issue an SM2 pair without a KMC master key (KMC_NOT_CONFIGURED), leaving nothing behind", async () => {
    const { signing } = await sm2Holder();
    let code = "";
    try {
      await withTx(db, (tx) => issueEncryptionPair(tx, { signing, kmc: null, ca, clock, orderId: "order-3" }));
    } catch (e) {
      code = isDomainError(e) ? e.code : String(e);
    }
    expect(code).toBe("KMC_NOT_CONFIGURED");
    expect(await db.certificate.count({ where: { signingCertificateId: signing.id } })).toBe(0);
  });
});

describe("key recovery: two staff members, then an envelope to a key the holder proved", () => {
  const alice = { type: "staff" as const, id: "staff-alice" };
  const bob = { type: "staff" as const, id: "staff-bob" };

  async function code(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (e) {
      return isDomainError(e) ? e.code : String(e);
    }
    return "resolved";
  }

  it("asks (A), refuses A's own approval, approves (B), delivers once to the same holder's new SM2 key; all audited", async () => {
    const { signing } = await sm2Holder();
    const kmc = getKmc();
    const enc = await withTx(db, (tx) => issueEncryptionPair(tx, { signing, kmc, ca, clock, orderId: "order-r" }));

    const asked = await requestRecovery(db, {
      serial: enc.serial,
      reason: "U-Key 损坏，补办后恢复加密密钥",
      actor: alice,
      clock,
    });
    expect(asked.state).toBe("requested");
    expect(await code(decideRecovery(db, { id: asked.id, approve: true, actor: alice, clock }))).toBe(
      "KMC_RECOVERY_SAME_STAFF",
    );
    const replacement = generateSm2KeyPair();
    const { row: newSigning } = await insertHolderCertificate(db, ca, {
      ...validity,
      key: sm2PrivateKeyObject(replacement.privateKey),
    });
    // not approved yet: nothing is delivered
    expect(
      await code(deliverRecovery(db, { id: asked.id, holderCertificate: newSigning, kmc, actor: alice, clock })),
    ).toBe("KMC_RECOVERY_STATE");
    const approved = await decideRecovery(db, { id: asked.id, approve: true, actor: bob, clock });
    expect(approved).toMatchObject({ state: "approved", approvedById: bob.id });

    // another person's certificate (another ID number) never receives the key
    const stranger = await insertHolderCertificate(db, ca, {
      ...validity,
      key: sm2PrivateKeyObject(generateSm2KeyPair().privateKey),
    });
    await db.certificate.update({ where: { id: stranger.row.id }, data: { holderIdHash: "another-holder" } });
    const strangerRow = await db.certificate.findUniqueOrThrow({ where: { id: stranger.row.id } });
    expect(
      await code(deliverRecovery(db, { id: asked.id, holderCertificate: strangerRow, kmc, actor: alice, clock })),
    ).toBe("KMC_RECOVERY_WRONG_HOLDER");

    const delivered = await deliverRecovery(db, {
      id: asked.id,
      holderCertificate: newSigning,
      kmc,
      actor: alice,
      clock,
    });
    const { d } = openEnvelope(delivered.envelope, replacement.privateKey);
    const keyFile = file("recovered.pem", sm2PrivateKeyObject(d).export({ type: "pkcs8", format: "pem" }));
    const certFile = file("recovered-cert.pem", new X509Certificate(Buffer.from(enc.der)).toString());
    expect(openssl(["pkey", "-in", keyFile, "-pubout"])).toBe(openssl(["x509", "-in", certFile, "-noout", "-pubkey"]));
    // a day later the delivered request is spent, even for the same key (within the day: redelivery-route test)
    const dayLater = fixedClock(new Date(clock.now().getTime() + 25 * 3600_000));
    expect(
      await code(
        deliverRecovery(db, { id: asked.id, holderCertificate: newSigning, kmc, actor: alice, clock: dayLater }),
      ),
    ).toBe("KMC_RECOVERY_STATE");

    const events = await db.auditEvent.findMany({ where: { targetId: asked.id }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.action, e.actorId])).toEqual([
      ["kmc.recovery_requested", alice.id],
      ["kmc.recovery_approved", bob.id],
      ["kmc.recovery_delivered", alice.id],
    ]);
    expect(JSON.stringify(events)).not.toContain(delivered.envelope.toString("base64").slice(0, 40));
  });

  it("a rejected request cannot be approved or delivered; a signing certificate cannot be asked for", async () => {
    const { signing } = await sm2Holder();
    const enc = await withTx(db, (tx) =>
      issueEncryptionPair(tx, { signing, kmc: getKmc(), ca, clock, orderId: "order-x" }),
    );
    const asked = await requestRecovery(db, { serial: enc.serial, reason: "test", actor: alice, clock });
    expect((await decideRecovery(db, { id: asked.id, approve: false, actor: bob, clock })).state).toBe("rejected");
    expect(await code(decideRecovery(db, { id: asked.id, approve: true, actor: bob, clock }))).toBe(
      "KMC_RECOVERY_STATE",
    );
    expect(await code(requestRecovery(db, { serial: signing.serial, reason: "test", actor: alice, clock }))).toBe(
      "KMC_KEY_NOT_FOUND",
    );
  });
});
