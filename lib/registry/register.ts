import type { CertStatus, CertType, PayerClass } from "../generated/prisma/client";
import type { Tx } from "../db";
import { blindIndex, encryptField, type FieldKeys } from "../crypto/field";
import { certificateInfo } from "../pki/cert-info";

export interface HolderRecord {
  holderName: string;
  holderIdType: string;
  holderIdNumber: string;
  email?: string | null;
  certType: CertType;
  payerClass: PayerClass;
  tokenSerial?: string | null;
  status?: CertStatus;
}

/**
 * Adds an existing holder certificate to the registry; registry fields are read from the DER itself. The ID number
 * is stored encrypted and blind-indexed with `keys` (FIELD_ENCRYPTION_KEY).
 */
export async function registerCertificate(tx: Tx, keys: FieldKeys, der: Buffer, holder: HolderRecord) {
  const info = certificateInfo(der);
  const id = holder.holderIdNumber.trim().toUpperCase();
  return tx.certificate.create({
    data: {
      serial: info.serial,
      subjectDn: info.subjectDn,
      issuerDn: info.issuerDn,
      holderName: holder.holderName,
      holderIdType: holder.holderIdType,
      holderIdEnc: encryptField(keys, id),
      holderIdHash: blindIndex(keys, id),
      holderIdLast4: id.slice(-4),
      email: holder.email ?? null,
      certType: holder.certType,
      payerClass: holder.payerClass,
      keyAlgorithm: info.keyAlgorithm,
      spkiSha256: info.spkiSha256,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      status: holder.status ?? "active",
      der: new Uint8Array(der),
      tokenSerial: holder.tokenSerial ?? null,
    },
  });
}
