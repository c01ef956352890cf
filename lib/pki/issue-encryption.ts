import type { Clock } from "@/lib/clock";
import type { Tx } from "@/lib/db";
import type { CertType, Certificate } from "@/lib/generated/prisma/client";
import type { Ca } from "./ca";
import { raw } from "./der";
import { auditCertificateIssued, buildCertificate, randomSerialHex } from "./issue";
import type { CertProfile } from "./profiles";
import { parseCertificate, sha256Hex } from "./x509";

/**
 * The encryption certificate of a dual-certificate holder (GM/T 0034): the KMC's key pair, the signing
 * certificate's subject and validity, key usage keyEncipherment + dataEncipherment only (it never signs).
 */
const ENCRYPTION_KEY_USAGE: CertProfile["keyUsage"] = {
  rsa: ["keyEncipherment", "dataEncipherment"],
  ec: ["keyEncipherment", "dataEncipherment"],
};

export const ENCRYPTION_PROFILES: Record<CertType, CertProfile> = {
  personal: {
    certType: "personal",
    keyUsage: ENCRYPTION_KEY_USAGE,
    extKeyUsage: ["emailProtection"],
    requireRekey: true,
    // the KMC makes SM2 encryption keys only
    algorithms: ["sm2"],
  },
  organisation: {
    certType: "organisation",
    keyUsage: ENCRYPTION_KEY_USAGE,
    extKeyUsage: ["emailProtection"],
    requireRekey: true,
    // the KMC makes SM2 encryption keys only
    algorithms: ["sm2"],
  },
};

export interface IssueEncryptionInput {
  /** the signing certificate just issued (same transaction): subject, holder data and validity are copied */
  signing: Certificate;
  /** the KMC key pair's SubjectPublicKeyInfo DER */
  spki: Buffer;
  keyAlgorithm: string;
  orderId: string;
  clock: Clock;
  ca: Ca;
}

/**
 * Issues the encryption certificate paired with `signing` inside the caller's transaction, or returns the one
 * already paired with it (Certificate.signingCertificateId is unique): a retried step cannot issue twice.
 */
export async function issueEncryptionCertificate(tx: Tx, input: IssueEncryptionInput): Promise<Certificate> {
  const { signing, ca, clock } = input;
  const existing = await tx.certificate.findUnique({ where: { signingCertificateId: signing.id } });
  if (existing) return existing;
  let serial = randomSerialHex();
  for (let i = 1; await tx.certificate.findUnique({ where: { serial }, select: { id: true } }); i++) {
    if (i >= 5) throw new Error("could not find an unused serial number");
    serial = randomSerialHex();
  }
  const der = await buildCertificate({
    subjectDer: raw(parseCertificate(Buffer.from(signing.der)).subjectName),
    spki: input.spki,
    serial,
    notBefore: signing.notBefore,
    notAfter: signing.notAfter,
    profile: ENCRYPTION_PROFILES[signing.certType],
    ca,
  });
  const created = await tx.certificate.create({
    data: {
      serial,
      subjectDn: signing.subjectDn,
      issuerDn: ca.issuerDn,
      holderName: signing.holderName,
      holderIdType: signing.holderIdType,
      holderIdEnc: signing.holderIdEnc,
      holderIdHash: signing.holderIdHash,
      holderIdLast4: signing.holderIdLast4,
      email: signing.email,
      certType: signing.certType,
      payerClass: signing.payerClass,
      keyAlgorithm: input.keyAlgorithm,
      spkiSha256: sha256Hex(input.spki),
      notBefore: signing.notBefore,
      notAfter: signing.notAfter,
      status: "active",
      der: new Uint8Array(der),
      tokenSerial: signing.tokenSerial,
      usage: "encryption",
      signingCertificateId: signing.id,
      // reminders go to the signing certificate only
      reminderOptOut: true,
    },
  });
  await auditCertificateIssued(
    tx,
    created.id,
    { serial, usage: "encryption", signingSerial: signing.serial, orderId: input.orderId },
    clock,
  );
  return created;
}
