import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { getConfig, resetConfig } from "../../config";
import { blindIndex, encryptField } from "../../crypto/field";
import type { Tx } from "../../db";
import type { CertType, PayerClass } from "../../generated/prisma/client";
import { ensureDevCa, loadCa, type Ca } from "../../pki/ca";
import type { SubjectFields } from "../../pki/name";
import { issueHolderCertificate } from "../demo/certificates";
import type { SignerAlgorithm } from "../../pki/signer";

/**
 * A fresh file-key CA (root + issuing) in a temp dir, valid from an hour before `now` (the system time unless
 * told: a test on a fixed clock makes its CA at that clock's time, so the CA is valid when its certificates are).
 */
export async function createTestCa(
  algorithm: SignerAlgorithm = "P-256",
  opts: { now?: Date } = {},
): Promise<{ ca: Ca; dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "certrenew-ca-"));
  process.env.CA_DIR = dir;
  process.env.PUBLIC_ORIGIN = "http://127.0.0.1:9";
  resetConfig();
  await ensureDevCa(dir, { algorithm, passphrase: getConfig().CA_KEY_PASSPHRASE!, now: opts.now });
  return { ca: await loadCa(getConfig()), dir };
}

const DEFAULT_SUBJECT: SubjectFields = {
  C: "CN",
  ST: "SD",
  L: "dezhou",
  OU: "I370101000000001",
  CN: "测试证书2018072403",
};

/** Stores a holder certificate signed by `ca` (a registry row like the seed's) and returns the row and its key. */
export async function insertHolderCertificate(
  db: Tx,
  ca: Ca,
  opts: {
    notBefore: Date;
    notAfter: Date;
    certType?: CertType;
    payerClass?: PayerClass;
    subject?: SubjectFields;
    key?: KeyObject;
  },
) {
  const key = opts.key ?? generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const certType = opts.certType ?? "personal";
  const { der, info } = await issueHolderCertificate({
    ca,
    subject: opts.subject ?? DEFAULT_SUBJECT,
    publicKey: key,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    certType,
  });
  const row = await db.certificate.create({
    data: {
      serial: info.serial,
      subjectDn: info.subjectDn,
      issuerDn: info.issuerDn,
      holderName: info.subjectCn ?? "holder",
      holderIdType: "id_card",
      holderIdEnc: encryptField(getConfig(), "370101199001011234"),
      holderIdHash: blindIndex(getConfig(), "370101199001011234"),
      holderIdLast4: "1234",
      email: "holder@example.cn",
      certType,
      payerClass: opts.payerClass ?? "self",
      keyAlgorithm: info.keyAlgorithm,
      spkiSha256: info.spkiSha256,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      der: new Uint8Array(der),
      tokenSerial: "TOKEN0001",
    },
  });
  return { row, key, der };
}
