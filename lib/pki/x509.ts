import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import {
  DerError, bits, bool, children, content, expect, explicit, implicitPrim, octets, oid, raw, read, readAll, readBitString,
  readIntHex, readOid, readTime, seq, time, tlv, uint, type Node,
} from "./der";
import { OID } from "./oids";
import type { ExtKeyUsage, KeyUsageBit } from "./profiles";

// ---- extensions ----

export function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

const KU_BIT: Record<KeyUsageBit, number> = {
  digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, dataEncipherment: 3, keyAgreement: 4, keyCertSign: 5, cRLSign: 6,
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
export const authorityKeyIdExt = (keyId: Buffer) => extension(OID.authorityKeyIdentifier, false, seq(implicitPrim(0, keyId)));

export function crlDistributionPointsExt(url: string): Buffer {
  // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames { uniformResourceIdentifier [6] } } }
  return extension(OID.crlDistributionPoints, false, seq(seq(explicit(0, explicit(0, implicitPrim(6, Buffer.from(url, "ascii")))))));
}

export function authorityInfoAccessExt(ocspUrl: string, caIssuersUrl: string): Buffer {
  const ad = (method: string, url: string) => seq(oid(method), implicitPrim(6, Buffer.from(url, "ascii")));
  return extension(OID.authorityInfoAccess, false, seq(ad(OID.adOcsp, ocspUrl), ad(OID.adCaIssuers, caIssuersUrl)));
}

export const certificatePoliciesExt = (policyOid: string) => extension(OID.certificatePolicies, false, seq(seq(oid(policyOid))));

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

/** Structural parse of an X.509 certificate (no signature check). Throws DerError on anything malformed. */
export function parseCertificate(der: Buffer): ParsedCertificate {
  const top = readAll(der);
  const [tbsNode, algNode, sigNode] = children(expect(top, 0x30));
  const f = children(expect(tbsNode, 0x30));
  let i = 0;
  if (f[0]?.tag === 0xa0) i++;
  const serialHex = readIntHex(f[i++]);
  i++; // signature algorithm (repeated outside)
  const issuerName = expect(f[i++], 0x30);
  const [nb, na] = children(expect(f[i++], 0x30));
  const subjectName = expect(f[i++], 0x30);
  const spki = raw(expect(f[i++], 0x30));
  const extensions = new Map<string, Buffer>();
  for (; i < f.length; i++) {
    if (f[i].tag !== 0xa3) continue;
    for (const ext of children(expect(children(f[i])[0], 0x30))) {
      const parts = children(expect(ext, 0x30));
      extensions.set(readOid(parts[0]), content(expect(parts[parts.length - 1], 0x04)));
    }
  }
  if (!nb || !na) throw new DerError("bad validity");
  return {
    der,
    tbs: raw(tbsNode),
    serialHex,
    issuerName,
    subjectName,
    notBefore: readTime(nb),
    notAfter: readTime(na),
    spki,
    extensions,
    signatureAlgorithm: readOid(children(expect(algNode, 0x30))[0]),
    signature: readBitString(sigNode),
  };
}

const JWK_CURVES: Record<string, { crv: string; size: number }> = { [OID.p256]: { crv: "P-256", size: 32 }, [OID.p384]: { crv: "P-384", size: 48 } };

const b64u = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i).toString("base64url");
};

/**
 * The public key of an SPKI. RSA and uncompressed P-256/P-384 keys go through JWK import, which is ~19x (RSA) and
 * ~2x (EC) faster than OpenSSL 3's DER decoder here; anything else takes the DER path. Throws on bad keys.
 */
export function publicKeyFromSpki(spki: Buffer): KeyObject {
  try {
    const [alg, key] = children(readAll(spki));
    const [algOid, params] = children(expect(alg, 0x30));
    const id = readOid(algOid);
    const bitsContent = readBitString(key);
    if (id === OID.rsaEncryption) {
      const [n, e, extra] = children(readAll(bitsContent));
      if (!extra && n.tag === 0x02 && e.tag === 0x02 && content(n).length > 0 && !(content(n)[0] & 0x80)) {
        return createPublicKey({ key: { kty: "RSA", n: b64u(content(n)), e: b64u(content(e)) }, format: "jwk" });
      }
    } else if (id === OID.ecPublicKey && params?.tag === 0x06) {
      const curve = JWK_CURVES[readOid(params)];
      if (curve && bitsContent.length === 1 + 2 * curve.size && bitsContent[0] === 0x04) {
        const x = bitsContent.subarray(1, 1 + curve.size).toString("base64url");
        const y = bitsContent.subarray(1 + curve.size).toString("base64url");
        return createPublicKey({ key: { kty: "EC", crv: curve.crv, x, y }, format: "jwk" });
      }
    }
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
  }
  return createPublicKey({ key: spki, format: "der", type: "spki" });
}

/** "RSA-2048", "EC-P256", "EC-P384" (the Certificate.keyAlgorithm form), or e.g. "ed25519" / "EC-secp256k1" otherwise. */
export function keyAlgorithmName(spki: Buffer): string {
  return keyAlgorithmOf(publicKeyFromSpki(spki));
}

export function keyAlgorithmOf(k: KeyObject): string {
  const d = k.asymmetricKeyDetails;
  if (k.asymmetricKeyType === "rsa") return `RSA-${d?.modulusLength}`;
  if (k.asymmetricKeyType === "ec") return d?.namedCurve === "prime256v1" ? "EC-P256" : d?.namedCurve === "secp384r1" ? "EC-P384" : `EC-${d?.namedCurve}`;
  return String(k.asymmetricKeyType);
}

export const sha256Hex = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Subject key identifier stored in a certificate, if present. */
export function subjectKeyId(cert: ParsedCertificate): Buffer | undefined {
  const v = cert.extensions.get(OID.subjectKeyIdentifier);
  return v ? content(read(v)) : undefined;
}

export function derToPem(der: Buffer, label = "CERTIFICATE"): string {
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** All PEM blocks with `label`, decoded. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*?)-----END ${label}-----`, "g");
  return [...text.matchAll(re)].map((m) => Buffer.from(m[1].replace(/\s+/g, ""), "base64"));
}
