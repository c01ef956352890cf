import { X509Certificate, createHash, createPublicKey, type KeyObject } from "node:crypto";
import { DomainError } from "@/lib/errors";
import {
  TAG,
  bits,
  children,
  explicit,
  nul,
  oid,
  raw,
  readAll,
  readOid,
  seq,
  tagged,
  uint,
  content,
  type Node,
} from "@/lib/pki/der";
import { keyFamilyOf, type KeyFamily } from "@/lib/token/key-family";
import type { CertificateSummary } from "./backends/types";

export { keyFamilyOf, type KeyFamily };

/**
 * Certificate, CSR and PKCS#7 handling shared by every backend; no token access here. DER is written and read with
 * the portal's own lib/pki/der.ts (the one ASN.1 writer); node:crypto parses certificates and keys.
 */

const OID = {
  signedData: "1.2.840.113549.1.7.2",
  sha256WithRSA: "1.2.840.113549.1.1.11",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  /** SM2 signature with SM3 (GM/T 0006), no parameters */
  sm2WithSm3: "1.2.156.10197.1.501",
  /** the SM2 curve, as the parameters of id-ecPublicKey */
  sm2Curve: "1.2.156.10197.1.301",
} as const;

/** The key families a CSR can be made for (SM2: SKF and virtual keys; signed with SM3 and the default ID). */
type CsrKeyFamily = KeyFamily;

/** An id-ecPublicKey SubjectPublicKeyInfo on the SM2 curve. */
export function isSm2Spki(spki: Buffer): boolean {
  try {
    const [algorithm] = children(tagged(readAll(spki), TAG.SEQUENCE, "a SubjectPublicKeyInfo"));
    const [, parameters] = children(tagged(algorithm, TAG.SEQUENCE, "an AlgorithmIdentifier"));
    return parameters?.tag === TAG.OID && readOid(parameters) === OID.sm2Curve;
  } catch {
    return false;
  }
}

export function keyAlgorithmName(family: KeyFamily): string {
  if (family.type === "sm2") return "SM2";
  return family.type === "rsa" ? `RSA-${family.bits}` : `EC-${family.curve.replace("-", "")}`;
}

/** The key algorithm for display; keys this assistant cannot use (SM2, Ed25519…) are named, not refused. */
function describeKey(key: KeyObject): string {
  try {
    return keyAlgorithmName(keyFamilyOf(key));
  } catch {
    if (isSm2Spki(spkiDer(key))) return "SM2";
    const details = key.asymmetricKeyDetails ?? {};
    return `${(key.asymmetricKeyType ?? "unknown").toUpperCase()}${details.namedCurve ? `-${details.namedCurve}` : ""}`;
  }
}

/** Summaries of the certificates that parse; a damaged object on a token must not hide the others. */
export function summarizeCertificates(objects: { id: string; der: Buffer }[]): CertificateSummary[] {
  return objects.flatMap((o) => {
    try {
      return [summarizeCertificate(o.id, o.der)];
    } catch {
      return [];
    }
  });
}

/** SPKI DER of a public key, or of the public half of a private key. */
export function spkiDer(key: KeyObject): Buffer {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  return publicKey.export({ type: "spki", format: "der" });
}

function cnOf(dn: string): string {
  const line = dn.split("\n").find((l) => l.startsWith("CN="));
  return line ? line.slice(3) : "";
}

function oneLine(dn: string): string {
  return dn.split("\n").reverse().join(", ");
}

/** The serial number, issuer and subject of a certificate as encoded (strict DER; no signature check). */
export function certificateFields(certDer: Buffer): { serial: Node; issuer: Node; subject: Node } {
  const [tbs] = children(tagged(readAll(certDer), TAG.SEQUENCE, "a Certificate"));
  const fields = children(tagged(tbs, TAG.SEQUENCE, "a TBSCertificate"));
  const i = fields[0]?.tag === TAG.CONTEXT_0 ? 1 : 0; // [0] EXPLICIT version
  return {
    serial: tagged(fields[i], TAG.INTEGER, "a serial number"),
    issuer: tagged(fields[i + 2], TAG.SEQUENCE, "an issuer Name"),
    subject: tagged(fields[i + 4], TAG.SEQUENCE, "a subject Name"),
  };
}

/** Serial exactly as encoded (leading zero bytes kept), lowercase hex. */
export function serialHex(der: Buffer): string {
  return content(certificateFields(der).serial).toString("hex");
}

export function parseCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new DomainError("TOKEN_BUNDLE_INVALID");
  }
}

export function summarizeCertificate(id: string, der: Buffer): CertificateSummary {
  const cert = parseCertificate(der);
  return {
    id,
    subject: oneLine(cert.subject),
    subjectCN: cnOf(cert.subject),
    issuer: oneLine(cert.issuer),
    serial: serialHex(der),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    keyAlgorithm: describeKey(cert.publicKey),
    der: der.toString("base64"),
  };
}

/**
 * The certificates of a PKCS#7 SignedData ("certs-only") bundle, DER, in the order of the bundle (a DER SET OF is
 * sorted by encoding, so the leaf is found by its key, not by its position). Other certificate choices (attribute
 * certificates and the like) are skipped; a bundle without a readable certificate is TOKEN_BUNDLE_INVALID.
 *
 *   ContentInfo ::= SEQUENCE { contentType signedData, content [0] EXPLICIT SignedData }
 *   SignedData  ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo SEQUENCE,
 *                              certificates [0] IMPLICIT SET OF OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET }
 */
export function certificatesFromPkcs7(der: Buffer): Buffer[] {
  try {
    const [contentType, wrapped, extra] = children(tagged(readAll(der), TAG.SEQUENCE, "a ContentInfo"));
    if (readOid(contentType) !== OID.signedData || extra) throw new Error("not SignedData");
    const [signedData, more] = children(tagged(wrapped, TAG.CONTEXT_0, "[0] content"));
    if (more) throw new Error("more than one content");
    const [version, digestAlgorithms, encapContentInfo, ...rest] = children(
      tagged(signedData, TAG.SEQUENCE, "a SignedData"),
    );
    tagged(version, TAG.INTEGER, "a version");
    tagged(digestAlgorithms, TAG.SET, "digestAlgorithms");
    tagged(encapContentInfo, TAG.SEQUENCE, "encapContentInfo");
    let k = 0;
    const set = rest[k]?.tag === TAG.CONTEXT_0 ? rest[k++] : undefined;
    if (rest[k]?.tag === 0xa1) k++; // crls
    tagged(rest[k], TAG.SET, "signerInfos");
    if (rest.length !== k + 1) throw new Error("unexpected SignedData field");
    const certs = (set ? children(set) : []).filter((c) => c.tag === TAG.SEQUENCE).map((c) => Buffer.from(raw(c)));
    if (certs.length === 0) throw new Error("no certificates");
    for (const c of certs) certificateFields(c);
    return certs;
  } catch {
    throw new DomainError("TOKEN_BUNDLE_INVALID");
  }
}

/** The certificate of `certificates` whose public key is one of `spkis` (DER), with that key's index. */
export function findLeafFor(certificates: Buffer[], spkis: Buffer[]): { der: Buffer; index: number } | null {
  const wanted = spkis.map((s) => createHash("sha256").update(s).digest("hex"));
  for (const der of certificates) {
    const spki = spkiDer(parseCertificate(der).publicKey);
    const index = wanted.indexOf(createHash("sha256").update(spki).digest("hex"));
    if (index >= 0) return { der, index };
  }
  return null;
}

/** The DER of the certificate's subject Name, copied byte for byte into the CSR. */
export function subjectDer(certDer: Buffer): Buffer {
  return Buffer.from(raw(certificateFields(certDer).subject));
}

const SIGNATURE_ALGORITHM = {
  rsa: seq(oid(OID.sha256WithRSA), nul()),
  ec: seq(oid(OID.ecdsaSha256)),
  sm2: seq(oid(OID.sm2WithSm3)),
};

/**
 * A PKCS#10 request for the subject of the old certificate and the new public key, signed on the token:
 * `sign` gets the TBS bytes and returns a PKCS#1 v1.5 (RSA) or DER ECDSA (EC) signature over SHA-256 of them, or
 * for SM2 a DER SM2 signature over SM3(Z ‖ TBS) with the default ID 1234567812345678.
 *
 *   CertificationRequest ::= SEQUENCE { CertificationRequestInfo, signatureAlgorithm, signature BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE { version 0, subject Name, SubjectPublicKeyInfo, attributes [0] {} }
 */
export async function buildCsr(args: {
  subject: Buffer;
  spki: Buffer;
  family: CsrKeyFamily;
  sign: (tbs: Buffer) => Promise<Buffer>;
}): Promise<Buffer> {
  tagged(readAll(args.subject), TAG.SEQUENCE, "a Name");
  tagged(readAll(args.spki), TAG.SEQUENCE, "a SubjectPublicKeyInfo");
  const info = seq(uint(0), args.subject, args.spki, explicit(0));
  const signature = await args.sign(info);
  return seq(info, SIGNATURE_ALGORITHM[args.family.type], bits(signature));
}
