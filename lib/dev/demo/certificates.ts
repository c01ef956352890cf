import { KeyObject, createPublicKey } from "node:crypto";
import type { CertType } from "../../generated/prisma/client";
import type { Ca } from "../../pki/ca";
import { certificateInfo, type CertificateInfo } from "../../pki/cert-info";
import { buildCertificate, randomSerialHex } from "../../pki/issue";
import { encodeName, type SubjectFields } from "../../pki/name";
import { profileFor } from "../../pki/profiles";

export interface HolderCertificateInput {
  ca: Ca;
  subject: SubjectFields;
  /** the holder's public key (a KeyObject, public or private) or its SPKI DER */
  publicKey: KeyObject | Buffer;
  notBefore: Date;
  notAfter: Date;
  certType: CertType;
}

/** A holder certificate with the profile of `certType`, for demo data, test fixtures and benches (no database). */
export async function issueHolderCertificate(
  input: HolderCertificateInput,
): Promise<{ der: Buffer; info: CertificateInfo }> {
  const k = input.publicKey;
  const spki =
    k instanceof KeyObject ? (k.type === "public" ? k : createPublicKey(k)).export({ type: "spki", format: "der" }) : k;
  const der = await buildCertificate({
    subjectDer: encodeName(input.subject),
    spki,
    serial: randomSerialHex(),
    notBefore: input.notBefore,
    notAfter: input.notAfter,
    profile: profileFor(input.certType),
    ca: input.ca,
  });
  return { der, info: certificateInfo(der) };
}
