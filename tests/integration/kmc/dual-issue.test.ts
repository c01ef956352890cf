import "@/tests/helpers/env";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateSm2KeyPair } from "@/lib/crypto/sm2";
import type { Db } from "@/lib/db";
import { isDomainError } from "@/lib/errors";
import type { Ca } from "@/lib/pki/ca";
import { resumeIssuance } from "@/lib/renewal/issue-order";
import { openEnvelope, sm2PrivateKeyObject } from "@/lib/token/enveloped-key";
import { createCsr } from "@/lib/dev/testing/csr-build";
import { createTestCa, openssl } from "@/tests/helpers/pki";
import {
  AT_NOW,
  holder,
  NOW,
  newClock,
  useRenewWorld,
  issueWithProof,
  submitOrder,
  type Holder,
} from "../renew/fixture";

/**
 * 下证 of an SM2 key (lib/renewal/issue-order.ts with lib/kmc): two certificates from one order — the signing
 * certificate for the key made on the token and the encryption certificate for a KMC key pair — with today's
 * guarantees: a retry re-delivers both, a lost pending key re-issues both and revokes both orphans, a process that
 * died mid-way is finished by the recovery path, and nothing is issued without the KMC.
 */

let db: Db;
let ca: Ca;
let origin: string;
const tmp = mkdtempSync(path.join(os.tmpdir(), "kmc-issue-"));

const world = useRenewWorld();
beforeAll(() => ({ db, ca, origin } = world));

async function submitted(withCa = ca) {
  const h = await holder(db, withCa, { payerClass: "unified", certType: "organisation" });
  const order = await submitOrder(db, h.row.id);
  return { h, order };
}

function sm2Request() {
  const pair = generateSm2KeyPair();
  return { pair, csr: createCsr(pair, { C: "CN", CN: "ignored" }) };
}

function issue(h: Holder, orderId: string, csr: Buffer, kmc?: null, withCa = ca) {
  return issueWithProof(db, h, { orderId, csr, origin, ca: withCa, kmc });
}

function file(name: string, data: Buffer | string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, data);
  return p;
}

const pem = (der: Uint8Array) => new X509Certificate(Buffer.from(der)).toString();

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isDomainError(e) ? e.code : String(e);
  }
  return "resolved";
}

describe("下证 of an SM2 key: signing and encryption certificates", () => {
  it("issues both, bundles both with the chain, and envelopes the KMC key to the new key (openssl checks)", async () => {
    const { h, order } = await submitted();
    const { pair, csr } = sm2Request();
    const issued = await issue(h, order.id, csr);
    expect(issued.encryption).not.toBeNull();
    const enc = issued.encryption!.certificate;
    expect(enc).toMatchObject({ usage: "encryption", signingCertificateId: issued.certificate.id, status: "active" });

    const p7 = file("dual.p7b", Buffer.from(issued.pkcs7, "base64"));
    const printed = openssl(["pkcs7", "-inform", "DER", "-in", p7, "-print_certs"]);
    expect(printed.match(/BEGIN CERTIFICATE/g)).toHaveLength(4);
    const root = file("root.pem", pem(ca.rootCert));
    const chain = file("chain.pem", pem(ca.issuingCert));
    const signingFile = file("signing.pem", pem(issued.certificate.der));
    const encFile = file("enc.pem", pem(enc.der));
    for (const f of [signingFile, encFile])
      expect(openssl(["verify", ...AT_NOW, "-CAfile", root, "-untrusted", chain, f])).toContain(": OK");
    expect(openssl(["x509", "-in", encFile, "-noout", "-ext", "keyUsage"])).toMatch(
      /Key Encipherment, Data Encipherment/,
    );
    expect(openssl(["x509", "-in", signingFile, "-noout", "-ext", "keyUsage"])).toMatch(/Digital Signature/);
    expect(openssl(["x509", "-in", encFile, "-noout", "-subject"])).toBe(
      openssl(["x509", "-in", signingFile, "-noout", "-subject"]),
    );

    // only the new key opens the envelope; its private key is the encryption certificate's
    const { d } = openEnvelope(issued.encryption!.envelope, pair.privateKey);
    const keyFile = file("enc-key.pem", sm2PrivateKeyObject(d).export({ type: "pkcs8", format: "pem" }));
    expect(openssl(["pkey", "-in", keyFile, "-pubout"])).toBe(openssl(["x509", "-in", encFile, "-noout", "-pubkey"]));

    // a retry with the same key: the same two certificates, a fresh envelope of the same key
    const again = await issue(h, order.id, csr);
    expect(again.certificate.id).toBe(issued.certificate.id);
    expect(again.encryption!.certificate.id).toBe(enc.id);
    expect(again.encryption!.envelope.equals(issued.encryption!.envelope)).toBe(false);
    expect(openEnvelope(again.encryption!.envelope, pair.privateKey).d.equals(d)).toBe(true);
    expect(await db.kmcKey.count({ where: { orderId: order.id } })).toBe(1);
    const events = await db.auditEvent.findMany({ where: { action: "order.issued", targetId: order.id } });
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ serial: issued.certificate.serial, encryptionSerial: enc.serial });
  });

  it("a lost pending key re-issues both certificates and revokes both orphans", async () => {
    const { h, order } = await submitted();
    const first = await issue(h, order.id, sm2Request().csr);
    const second = await issue(h, order.id, sm2Request().csr);
    expect(second.certificate.id).not.toBe(first.certificate.id);
    expect(second.encryption!.certificate.id).not.toBe(first.encryption!.certificate.id);
    const orphans = await db.certificate.findMany({
      where: { id: { in: [first.certificate.id, first.encryption!.certificate.id] } },
    });
    expect(orphans.map((c) => c.status)).toEqual(["revoked", "revoked"]);
    expect(orphans.map((c) => c.revocationReason)).toEqual([4, 4]);
    const reissue = await db.auditEvent.findFirstOrThrow({ where: { action: "order.reissue", targetId: order.id } });
    expect(reissue.data).toMatchObject({
      orphanSerial: first.certificate.serial,
      orphanEncryptionSerial: first.encryption!.certificate.serial,
    });
  });

  it("without the KMC nothing is issued and the order waits in issuing; the recovery path then issues both", async () => {
    const { h, order } = await submitted();
    const { csr } = sm2Request();
    expect(await codeOf(issue(h, order.id, csr, null))).toBe("KMC_NOT_CONFIGURED");
    const waiting = await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
    expect(waiting.state).toBe("issuing");
    expect(await db.certificate.count({ where: { previousId: h.row.id } })).toBe(0);

    const signing = await resumeIssuance(db, order.id, newClock(), ca);
    expect(signing).not.toBeNull();
    const pair = await db.certificate.findUniqueOrThrow({ where: { signingCertificateId: signing!.id } });
    expect(pair.usage).toBe("encryption");
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("issued");
  });

  it("keeps one certificate for a P-256 key (no KMC pair)", async () => {
    const { h, order } = await submitted();
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const issued = await issue(h, order.id, createCsr(key, { C: "CN", CN: "x" }));
    expect(issued.encryption).toBeNull();
    expect(Buffer.from(issued.pkcs7, "base64").length).toBeGreaterThan(0);
    expect(await db.certificate.count({ where: { signingCertificateId: issued.certificate.id } })).toBe(0);
  });
});

describe("with the SM2 CA (CA_KEY_ALGORITHM=SM2)", () => {
  const DISTID = "distid:1234567812345678";

  it("signs both certificates SM2-with-SM3; openssl checks each against the issuing CA with the default ID", async () => {
    const { ca: sm2Ca } = await createTestCa("SM2", { now: new Date(NOW) });
    const { h, order } = await submitted(sm2Ca);
    const { pair, csr } = sm2Request();
    const issued = await issue(h, order.id, csr, undefined, sm2Ca);
    const issuing = file("sm2-issuing.pem", pem(sm2Ca.issuingCert));
    const signingFile = file("sm2-signing.pem", pem(issued.certificate.der));
    const encFile = file("sm2-enc.pem", pem(issued.encryption!.certificate.der));
    for (const f of [signingFile, encFile]) {
      expect(openssl(["verify", ...AT_NOW, "-vfyopt", DISTID, "-partial_chain", "-CAfile", issuing, f])).toContain(
        ": OK",
      );
      expect(openssl(["x509", "-in", f, "-noout", "-text"])).toContain("Signature Algorithm: SM2-with-SM3");
    }
    const { d } = openEnvelope(issued.encryption!.envelope, pair.privateKey);
    const keyFile = file("sm2-enc-key.pem", sm2PrivateKeyObject(d).export({ type: "pkcs8", format: "pem" }));
    expect(openssl(["pkey", "-in", keyFile, "-pubout"])).toBe(openssl(["x509", "-in", encFile, "-noout", "-pubkey"]));
  });
});
