import { KeyObject, createPublicKey } from "node:crypto";
import type { CertType } from "@/lib/generated/prisma/client";
import type { Ca } from "./ca";
import { buildCertificate, randomSerialHex } from "./issue";
import { commonName, encodeName, formatName, type SubjectFields } from "./name";
import { profileFor } from "./profiles";
import { keyAlgorithmName, parseCertificate, sha256Hex } from "./x509";

export interface CertificateInfo {
  /** lowercase hex of the serial INTEGER's bytes */
  serial: string;
  subjectDn: string;
  issuerDn: string;
  notBefore: Date;
  notAfter: Date;
  /** "RSA-2048", "EC-P256", … */
  keyAlgorithm: string;
  spkiSha256: string;
  subjectCn: string | undefined;
}

/** The registry fields of a certificate. Throws DerError if it is not a well-formed X.509 certificate. */
export function certificateInfo(der: Buffer): CertificateInfo {
  const c = parseCertificate(der);
  return {
    serial: c.serialHex,
    subjectDn: formatName(c.subjectName),
    issuerDn: formatName(c.issuerName),
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    keyAlgorithm: keyAlgorithmName(c.spki),
    spkiSha256: sha256Hex(c.spki),
    subjectCn: commonName(c.subjectName),
  };
}

export interface HolderCertificateInput {
  ca: Ca;
  subject: SubjectFields;
  /** the holder's public key (a KeyObject, public or private) or its SPKI DER */
  publicKey: KeyObject | Buffer;
  notBefore: Date;
  notAfter: Date;
  certType: CertType;
}

/** A holder certificate with the profile of `certType`, for demo data and test fixtures (no database). */
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
