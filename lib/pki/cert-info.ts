import { commonName, formatName } from "./name";
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
