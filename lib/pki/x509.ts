import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { bitStringBytes, bytesOf, decodePki, elementsOf, integerHex, nodeOf, rawOf } from "./asn1";
import {
  DerError,
  TAG,
  bitStringContent,
  bool,
  children,
  explicit,
  implicitPrim,
  isNull,
  octets,
  oid,
  raw,
  readAll,
  readOid,
  seq,
  tagged,
  time,
  tlv,
  uint,
  type Node,
} from "./der";
import { OID } from "./oids";
import { isSm2Spki } from "../crypto/sm2";
import type { ExtKeyUsage, KeyUsageBit } from "./profiles";

// ---- extensions ----

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

const KU_BIT: Record<KeyUsageBit, number> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
};

export function keyUsageExt(usages: KeyUsageBit[]): Buffer {
  let v = 0;
  for (const u of usages) v |= 0x80 >> KU_BIT[u];
  let unused = 0;
  while (unused < 7 && !(v & (1 << unused))) unused++;
  return extension(OID.keyUsage, true, tlv(0x03, Buffer.from([unused, v])));
}

export function basicConstraintsExt(ca: boolean, pathLen?: number): Buffer {
  const body = ca ? [bool(true), ...(pathLen === undefined ? [] : [uint(pathLen)])] : [];
  return extension(OID.basicConstraints, true, seq(...body));
}

export function extKeyUsageExt(usages: ExtKeyUsage[]): Buffer {
  return extension(OID.extKeyUsage, false, seq(...usages.map((u) => oid(OID[u]))));
}

export const subjectKeyIdExt = (keyId: Buffer) => extension(OID.subjectKeyIdentifier, false, octets(keyId));
export const authorityKeyIdExt = (keyId: Buffer) =>
  extension(OID.authorityKeyIdentifier, false, seq(implicitPrim(0, keyId)));

export function crlDistributionPointsExt(url: string): Buffer {
  // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames { uniformResourceIdentifier [6] } } }
  return extension(
    OID.crlDistributionPoints,
    false,
    seq(seq(explicit(0, explicit(0, implicitPrim(6, Buffer.from(url, "ascii")))))),
  );
}

export function authorityInfoAccessExt(ocspUrl: string, caIssuersUrl: string): Buffer {
  const ad = (method: string, url: string) => seq(oid(method), implicitPrim(6, Buffer.from(url, "ascii")));
  return extension(OID.authorityInfoAccess, false, seq(ad(OID.adOcsp, ocspUrl), ad(OID.adCaIssuers, caIssuersUrl)));
}

export const certificatePoliciesExt = (policyOid: string) =>
  extension(OID.certificatePolicies, false, seq(seq(oid(policyOid))));

// ---- TBSCertificate ----

export interface TbsInput {
  serialHex: string;
  signatureAlgorithm: Buffer;
  issuerName: Buffer;
  notBefore: Date;
  notAfter: Date;
  subjectName: Buffer;
  spki: Buffer;
  /** concatenated Extension elements */
  extensions: Buffer;
}

const V3 = explicit(0, uint(2));

export function encodeTbsCertificate(t: TbsInput): Buffer {
  return seq(
    V3,
    uint(Buffer.from(t.serialHex, "hex")),
    t.signatureAlgorithm,
    t.issuerName,
    seq(time(t.notBefore), time(t.notAfter)),
    t.subjectName,
    t.spki,
    explicit(3, seq(t.extensions)),
  );
}

// ---- reading certificates ----

export interface ParsedCertificate {
  der: Buffer;
  tbs: Buffer;
  serialHex: string;
  issuerName: Node;
  subjectName: Node;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  /** extension OID → extnValue contents */
  extensions: Map<string, Buffer>;
  signatureAlgorithm: string;
  signature: Buffer;
}

/** Structural parse of an X.509 certificate with pkijs (no signature check). Throws DerError on anything malformed. */
export function parseCertificate(der: Buffer): ParsedCertificate {
  const { value: cert, tree } = decodePki(der, (schema) => new pkijs.Certificate({ schema }));
  // pkijs keeps no raw bytes of the names and the key: take them from the asn1js tree it was read from
  const fields = elementsOf(elementsOf(tree)[0]);
  const i = fields[0] instanceof asn1js.Constructed && fields[0].idBlock.tagClass === 3 ? 1 : 0; // [0] version
  const extensions = new Map<string, Buffer>();
  for (const ext of cert.extensions ?? []) extensions.set(ext.extnID, bytesOf(ext.extnValue.valueBlock.valueHexView));
  return {
    der,
    tbs: bytesOf(cert.tbsView),
    serialHex: integerHex(cert.serialNumber),
    issuerName: nodeOf(fields[i + 2], der),
    subjectName: nodeOf(fields[i + 4], der),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    spki: rawOf(fields[i + 5]),
    extensions,
    signatureAlgorithm: cert.signatureAlgorithm.algorithmId,
    signature: bitStringBytes(cert.signatureValue),
  };
}

/**
 * The SubjectPublicKeyInfo (DER) of a certificate, read with der.ts alone: what a proof of possession needs from the
 * registered certificate on every sign-in, 下证 and install confirmation, without pkijs' whole parse.
 */
export function certificateSpki(der: Buffer): Buffer {
  return raw(tagged(tbsField(der, 5), TAG.SEQUENCE, "SubjectPublicKeyInfo"));
}

/** The subject Name (DER) of a certificate, read with der.ts alone: what a renewal copies into the new certificate. */
export function certificateSubject(der: Buffer): Buffer {
  return raw(tagged(tbsField(der, 4), TAG.SEQUENCE, "Name"));
}

/** A field of the TBSCertificate by its place after the optional version: serialNumber 0, … subject 4, SPKI 5. */
function tbsField(der: Buffer, at: number) {
  const [tbs] = children(tagged(readAll(der), TAG.SEQUENCE, "Certificate"));
  const fields = children(tagged(tbs, TAG.SEQUENCE, "TBSCertificate"));
  // [0] version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  const i = fields[0]?.tag === TAG.CONTEXT_0 ? 1 : 0;
  return fields[i + at];
}

const JWK_CURVES: Record<string, { crv: string; size: number }> = {
  [OID.p256]: { crv: "P-256", size: 32 },
  [OID.p384]: { crv: "P-384", size: 48 },
};

/** The parts of a SubjectPublicKeyInfo, read with der.ts (the CSR hot path). */
export interface SpkiParts {
  algorithm: string;
  /** the named-curve OID for EC keys; undefined when absent or NULL */
  curve?: string;
  /** the BIT STRING contents: RSAPublicKey DER or the EC point */
  key: Buffer;
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { OID, parameters: OID, NULL or absent }, BIT STRING }. */
export function spkiPartsOf(spki: Node): SpkiParts {
  const [algorithm, key, extra] = children(tagged(spki, TAG.SEQUENCE, "SubjectPublicKeyInfo"));
  const [id, params, more] = children(tagged(algorithm, TAG.SEQUENCE, "AlgorithmIdentifier"));
  if (extra || more) throw new DerError("unexpected SubjectPublicKeyInfo");
  let curve: string | undefined;
  if (params?.tag === TAG.OID) curve = readOid(params);
  else if (params && !isNull(params)) throw new DerError("unsupported key parameters");
  return { algorithm: readOid(id), curve, key: bitStringContent(key) };
}

/**
 * The public key of an SPKI. RSA keys are imported from their PKCS#1 bytes (4 µs against 138 µs through OpenSSL 3's
 * SPKI decoder, which tries every decoder in turn) and uncompressed P-256/P-384 keys as JWK (87 µs against 188 µs:
 * OpenSSL checks the point either way); anything else takes the SPKI path. Throws on bad keys. `parts` is the same
 * SPKI already read (the CSR parser has it), to save a parse.
 */
export function publicKeyFromSpki(spki: Buffer, parts?: SpkiParts): KeyObject {
  try {
    const key = fastImport(parts ?? spkiPartsOf(readAll(spki)));
    if (key) return key;
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
  }
  return createPublicKey({ key: spki, format: "der", type: "spki" });
}

function fastImport({ algorithm, curve: curveOid, key }: SpkiParts): KeyObject | undefined {
  if (algorithm === OID.rsaEncryption) {
    let imported: KeyObject;
    try {
      imported = createPublicKey({ key, format: "der", type: "pkcs1" });
    } catch {
      return undefined;
    }
    // OpenSSL reads a negative modulus as its absolute value (both import paths): refuse it here, so no certificate
    // ever carries a key that stricter parsers reject
    const [modulus] = children(readAll(key));
    if (modulus?.tag !== TAG.INTEGER || modulus.end === modulus.contentStart || key[modulus.contentStart] & 0x80)
      throw new Error("RSA modulus is not a positive INTEGER");
    return imported;
  }
  if (algorithm === OID.ecPublicKey && curveOid) {
    const curve = JWK_CURVES[curveOid];
    if (curve && key.length === 1 + 2 * curve.size && key[0] === 0x04) {
      const x = key.subarray(1, 1 + curve.size).toString("base64url");
      return createPublicKey({
        key: { kty: "EC", crv: curve.crv, x, y: key.subarray(1 + curve.size).toString("base64url") },
        format: "jwk",
      });
    }
  }
  return undefined;
}

/** "RSA-2048", "EC-P256", "EC-P384", "SM2" (the Certificate.keyAlgorithm form), or e.g. "ed25519" / "EC-secp256k1" otherwise. */
export function keyAlgorithmName(spki: Buffer): string {
  // Node reads SM2 keys without a key type: name them from the SPKI
  if (isSm2Spki(spki)) return "SM2";
  return keyAlgorithmOf(publicKeyFromSpki(spki));
}

export function keyAlgorithmOf(k: KeyObject): string {
  const d = k.asymmetricKeyDetails;
  if (k.asymmetricKeyType === "rsa") return `RSA-${d?.modulusLength}`;
  if (k.asymmetricKeyType === "ec")
    return d?.namedCurve === "prime256v1"
      ? "EC-P256"
      : d?.namedCurve === "secp384r1"
        ? "EC-P384"
        : `EC-${d?.namedCurve}`;
  return String(k.asymmetricKeyType);
}

export const sha256Hex = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** All PEM blocks with `label`, decoded. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*?)-----END ${label}-----`, "g");
  return [...text.matchAll(re)].map((m) => Buffer.from(m[1].replace(/\s+/g, ""), "base64"));
}
