import { X509Certificate, createHash, createPublicKey, type KeyObject } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { DomainError } from "@/lib/errors";
import { keyFamilyOf, type KeyFamily } from "@/lib/token/key-family";
import type { CertificateSummary } from "./backends/types";

export { keyFamilyOf, type KeyFamily };

/** Certificate, CSR and PKCS#7 handling shared by every backend; no token access here. */

/** pkijs wants an ArrayBuffer-backed view; a Buffer may share Node's pool. */
export function bytes(b: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

export function keyAlgorithmName(family: KeyFamily): string {
  return family.type === "rsa" ? `RSA-${family.bits}` : `EC-${family.curve.replace("-", "")}`;
}

/** SPKI DER of a public key, or of the public half of a private key. */
/** The key algorithm for display; keys this assistant cannot use (SM2, Ed25519…) are named, not refused. */
function describeKey(key: KeyObject): string {
  try {
    return keyAlgorithmName(keyFamilyOf(key));
  } catch {
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

/** Serial exactly as encoded (leading zero bytes kept), lowercase hex. */
export function serialHex(der: Buffer): string {
  const cert = pkijs.Certificate.fromBER(bytes(der));
  return Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString("hex");
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

/** The certificates of a PKCS#7 SignedData ("certs-only") bundle, DER. */
export function certificatesFromPkcs7(der: Buffer): Buffer[] {
  try {
    const info = pkijs.ContentInfo.fromBER(bytes(der));
    if (info.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new Error("not SignedData");
    const signed = new pkijs.SignedData({ schema: info.content });
    const certs = (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
    if (certs.length === 0) throw new Error("no certificates");
    return certs.map((c) => Buffer.from(c.toSchema().toBER(false)));
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
  const cert = pkijs.Certificate.fromBER(bytes(certDer));
  return Buffer.from(cert.subject.toSchema().toBER(false));
}

class ExternallySignedCsr extends pkijs.CertificationRequest {
  tbsDer(): Buffer {
    return Buffer.from(this.encodeTBS().toBER(false));
  }
}

const SIG_ALG = {
  rsa: () =>
    new pkijs.AlgorithmIdentifier({ algorithmId: "1.2.840.113549.1.1.11", algorithmParams: new asn1js.Null() }),
  ec: () => new pkijs.AlgorithmIdentifier({ algorithmId: "1.2.840.10045.4.3.2" }),
};

/**
 * A PKCS#10 request for the subject of the old certificate and the new public key, signed on the token:
 * `sign` gets the TBS bytes and returns a PKCS#1 v1.5 (RSA) or DER ECDSA (EC) signature over SHA-256 of them.
 */
export async function buildCsr(args: {
  subject: Buffer;
  spki: Buffer;
  family: KeyFamily;
  sign: (tbs: Buffer) => Promise<Buffer>;
}): Promise<Buffer> {
  const csr = new ExternallySignedCsr();
  csr.version = 0;
  csr.subject = new pkijs.RelativeDistinguishedNames({ schema: asn1js.fromBER(bytes(args.subject)).result });
  csr.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({ schema: asn1js.fromBER(bytes(args.spki)).result });
  csr.attributes = [];
  csr.signatureAlgorithm = SIG_ALG[args.family.type]();
  const tbs = csr.tbsDer();
  csr.tbsView = new Uint8Array(tbs);
  const signature = await args.sign(tbs);
  csr.signatureValue = new asn1js.BitString({ valueHex: bytes(signature) });
  return Buffer.from(csr.toSchema().toBER(false));
}

function derInteger(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  let body = unsigned.subarray(start);
  if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
}

/** PKCS#11 CKM_ECDSA returns r‖s; X.509, CMS and the portal want ECDSA-Sig-Value (DER). */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  const half = raw.length / 2;
  const body = Buffer.concat([derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half))]);
  const length = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), length, body]);
}

export function publicKeyFromSpki(spki: Buffer): KeyObject {
  return createPublicKey({ key: spki, format: "der", type: "spki" });
}
