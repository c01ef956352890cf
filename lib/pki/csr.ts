import { verify as cryptoVerify, type KeyObject } from "node:crypto";
import { DomainError } from "@/lib/errors";
import {
  DerError,
  TAG,
  bitStringContent,
  children,
  content,
  isNull,
  raw,
  readAll,
  readOid,
  tagged,
  walk,
  type Node,
} from "./der";
import { OID } from "./oids";
import { Sm2FormatError, SM2_OIDS, sm2SpkiDecode, sm2SpkiEncode, sm2Verify } from "../crypto/sm2";
import { keyAlgorithmOf, pemBlocks, publicKeyFromSpki, sha256Hex, spkiPartsOf, type SpkiParts } from "./x509";

export const CSR_MAX_BYTES = 16 * 1024;

export interface ParsedCsr {
  /** SubjectPublicKeyInfo DER of the requested key */
  spki: Buffer;
  /** hex SHA-256 of `spki` (Certificate.spkiSha256) */
  spkiSha256: string;
  /** "RSA-2048", "EC-P256", … */
  keyAlgorithm: string;
  /** the request as DER */
  der: Buffer;
}

const SIGNATURES: Record<string, { digest: string; keyType: "rsa" | "ec" }> = {
  [OID.sha256WithRSA]: { digest: "sha256", keyType: "rsa" },
  [OID.sha384WithRSA]: { digest: "sha384", keyType: "rsa" },
  [OID.sha512WithRSA]: { digest: "sha512", keyType: "rsa" },
  [OID.ecdsaSha256]: { digest: "sha256", keyType: "ec" },
  [OID.ecdsaSha384]: { digest: "sha384", keyType: "ec" },
  [OID.ecdsaSha512]: { digest: "sha512", keyType: "ec" },
};

const CURVES = new Set(["prime256v1", "secp384r1"]);
const RSA_MIN = 2048;
// larger moduli cost seconds to verify: refuse them rather than let a request tie up a core
const RSA_MAX = 8192;

/** A request read and held to the key policy, its self-signature not yet verified (the verifier's inputs). */
export interface DecodedCsr extends ParsedCsr {
  info: Buffer;
  signature: Buffer;
  /** RSA and ECDSA: node:crypto verifies `signature` over `info` with `digest` and `key` */
  node?: { key: KeyObject; digest: string };
  /** SM2: the requester's point; the self-signature is SM2-with-SM3 with the default ID (GM/T 0009) */
  sm2PublicKey?: Buffer;
}

function toDer(input: Buffer | string): Buffer {
  if (input.length > CSR_MAX_BYTES * 2) throw new DomainError("CSR_TOO_LARGE", { maxBytes: CSR_MAX_BYTES });
  const text =
    typeof input === "string"
      ? input
      : input.subarray(0, 11).toString("latin1") === "-----BEGIN "
        ? input.toString("latin1")
        : undefined;
  let der: Buffer;
  if (text === undefined) der = input as Buffer;
  else if (text.includes("-----BEGIN")) {
    const [block] = [...pemBlocks(text, "CERTIFICATE REQUEST"), ...pemBlocks(text, "NEW CERTIFICATE REQUEST")];
    if (!block) throw new DomainError("CSR_MALFORMED", { reason: "no PEM block" });
    der = block;
  } else der = Buffer.from(text.replace(/\s+/g, ""), "base64");
  if (der.length > CSR_MAX_BYTES) throw new DomainError("CSR_TOO_LARGE", { maxBytes: CSR_MAX_BYTES });
  return der;
}

function checkKey(spki: Buffer, parts: SpkiParts): KeyObject {
  if (parts.algorithm !== OID.rsaEncryption && parts.algorithm !== OID.ecPublicKey)
    throw new DomainError("CSR_UNSUPPORTED_ALGORITHM", { algorithm: parts.algorithm });
  let key: KeyObject;
  try {
    key = publicKeyFromSpki(spki, parts);
  } catch {
    throw new DomainError("CSR_MALFORMED", { reason: "public key" });
  }
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") {
    const bitsLen = d.modulusLength ?? 0;
    if (bitsLen < RSA_MIN) throw new DomainError("CSR_WEAK_KEY", { algorithm: `RSA-${bitsLen}` });
    if (bitsLen > RSA_MAX) throw new DomainError("CSR_UNSUPPORTED_ALGORITHM", { algorithm: `RSA-${bitsLen}` });
    return key;
  }
  if (key.asymmetricKeyType === "ec" && d.namedCurve && CURVES.has(d.namedCurve)) return key;
  const curve = d.namedCurve ?? "explicit curve";
  throw new DomainError(
    /^(secp|prime)(112|128|160|192|224)/.test(curve) ? "CSR_WEAK_KEY" : "CSR_UNSUPPORTED_ALGORITHM",
    { algorithm: `EC-${curve}` },
  );
}

interface Request {
  info: Buffer;
  spki: Buffer;
  spkiParts: SpkiParts;
  signatureAlgorithm: string;
  signature: Buffer;
}

/** Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }: its shape only; the values are never read. */
function checkName(name: Node): void {
  for (const rdn of children(tagged(name, TAG.SEQUENCE, "Name"))) {
    for (const atv of children(tagged(rdn, TAG.SET, "RelativeDistinguishedName"))) {
      const [type, value, extra] = children(tagged(atv, TAG.SEQUENCE, "AttributeTypeAndValue"));
      readOid(type);
      if (!value || extra) throw new DerError("unexpected AttributeTypeAndValue");
      walk(value);
    }
  }
}

/** attributes [0] IMPLICIT SET OF Attribute, Attribute ::= SEQUENCE { type OID, values SET }: required by RFC 2986, may be empty. */
function checkAttributes(attributes: Node | undefined): void {
  for (const attribute of children(tagged(attributes, TAG.CONTEXT_0, "attributes [0]"))) {
    const [type, values, extra] = children(tagged(attribute, TAG.SEQUENCE, "Attribute"));
    readOid(type);
    if (extra) throw new DerError("unexpected Attribute");
    walk(tagged(values, TAG.SET, "attribute values"));
  }
}

/**
 * Reads CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature } with the
 * strict DER reader (der.ts): this is the issuance hot path, where asn1js's object tree cost ~120 µs a request.
 * Every element is checked for its tag and shape down to the last byte; the subject's values are never read (the
 * renewal copies the old certificate's subject). Exported for csr.test.ts, which holds it against asn1js.
 */
export function readRequest(der: Buffer): Request {
  try {
    const [infoNode, algNode, sigNode, extra] = children(tagged(readAll(der), TAG.SEQUENCE, "CertificationRequest"));
    const [version, subject, spkiNode, attributes, more] = children(
      tagged(infoNode, TAG.SEQUENCE, "CertificationRequestInfo"),
    );
    const v = content(tagged(version, TAG.INTEGER, "version"));
    if (v.length !== 1 || v[0] !== 0) throw new DerError("unsupported version");
    checkName(subject);
    const spkiParts = spkiPartsOf(spkiNode);
    checkAttributes(attributes);
    const [algId, params, algMore] = children(tagged(algNode, TAG.SEQUENCE, "signature AlgorithmIdentifier"));
    if (extra || more || algMore || (params && !isNull(params))) throw new DerError("unexpected CertificationRequest");
    return {
      info: raw(infoNode),
      spki: raw(spkiNode),
      spkiParts,
      signatureAlgorithm: readOid(algId),
      signature: bitStringContent(sigNode),
    };
  } catch (e) {
    if (e instanceof DerError) throw new DomainError("CSR_MALFORMED", { reason: e.message });
    throw e;
  }
}

/**
 * Reads a request and checks its key policy without verifying its signature: parseCsr verifies it next (the
 * bench's parseCsrAsync in lib/dev/testing verifies it on the thread pool instead).
 */
export function decodeCsr(input: Buffer | string): DecodedCsr {
  const der = toDer(input);
  const req = readRequest(der);
  if (req.spkiParts.algorithm === OID.ecPublicKey && req.spkiParts.curve === SM2_OIDS.sm2Curve)
    return decodeSm2(der, req);
  if (req.signatureAlgorithm === SM2_OIDS.sm2WithSm3)
    throw new DomainError("CSR_UNSUPPORTED_ALGORITHM", { algorithm: req.signatureAlgorithm });
  const key = checkKey(req.spki, req.spkiParts);
  const sig = SIGNATURES[req.signatureAlgorithm];
  if (!sig || sig.keyType !== key.asymmetricKeyType)
    throw new DomainError("CSR_UNSUPPORTED_ALGORITHM", { algorithm: req.signatureAlgorithm });
  return {
    der,
    spki: req.spki,
    spkiSha256: sha256Hex(req.spki),
    keyAlgorithm: keyAlgorithmOf(key),
    info: req.info,
    node: { key, digest: sig.digest },
    signature: req.signature,
  };
}

/**
 * An SM2 request (GM/T 0010): the key must be a point on the SM2 curve and the signature SM2-with-SM3 (an ECDSA
 * signature over an SM2-curve key, which Node's crypto.sign makes, is refused). The SPKI is re-encoded in its one
 * uncompressed form, so that a compressed encoding of the old key cannot pass the key-reuse check.
 */
function decodeSm2(der: Buffer, req: Request): DecodedCsr {
  let point: Buffer;
  try {
    point = sm2SpkiDecode(req.spki);
  } catch (e) {
    if (e instanceof Sm2FormatError) throw new DomainError("CSR_MALFORMED", { reason: "public key" });
    throw e;
  }
  if (req.signatureAlgorithm !== SM2_OIDS.sm2WithSm3)
    throw new DomainError("CSR_UNSUPPORTED_ALGORITHM", { algorithm: req.signatureAlgorithm });
  const spki = sm2SpkiEncode(point);
  return {
    der,
    spki,
    spkiSha256: sha256Hex(spki),
    keyAlgorithm: "SM2",
    info: req.info,
    sm2PublicKey: point,
    signature: req.signature,
  };
}

/** Whether the request's self-signature holds (synchronous; parseCsrAsync in lib/dev/testing has the pool version). */
export function verifyDecodedCsr(d: DecodedCsr): boolean {
  try {
    if (d.sm2PublicKey) return sm2Verify(d.info, d.signature, d.sm2PublicKey);
    return d.node ? cryptoVerify(d.node.digest, d.info, d.node.key, d.signature) : false;
  } catch {
    return false;
  }
}

/** The ParsedCsr of a request whose signature was verified. */
export const parsedCsr = (d: DecodedCsr): ParsedCsr => ({
  spki: d.spki,
  spkiSha256: d.spkiSha256,
  keyAlgorithm: d.keyAlgorithm,
  der: d.der,
});

/**
 * Parses a PKCS#10 request (DER, PEM or bare base64; at most 16 KiB), enforces the key policy (RSA ≥ 2048,
 * EC P-256/P-384, SM2) and verifies its self-signature. The CSR's subject is deliberately ignored: renewed
 * certificates copy the old certificate's subject. Throws DomainError CSR_* only.
 */
export function parseCsr(input: Buffer | string): ParsedCsr {
  const d = decodeCsr(input);
  if (!verifyDecodedCsr(d)) throw new DomainError("CSR_INVALID_SIGNATURE");
  return parsedCsr(d);
}

/** CSR_KEY_REUSED when the profile requires a new key pair and the CSR carries the old certificate's key. */
export function assertRekey(csr: ParsedCsr, oldSpkiSha256: string, requireRekey: boolean): void {
  if (requireRekey && csr.spkiSha256 === oldSpkiSha256) throw new DomainError("CSR_KEY_REUSED");
}
