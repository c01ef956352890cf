import { verify as cryptoVerify, type KeyObject } from "node:crypto";
import { DomainError } from "@/lib/errors";
import * as asn1js from "asn1js";
import { bitStringBytes, elementsOf, fromDer, rawOf } from "./asn1";
import { DerError } from "./der";
import { OID } from "./oids";
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

interface Decoded extends ParsedCsr {
  info: Buffer;
  key: KeyObject;
  digest: string;
  signature: Buffer;
}

function toDer(input: Buffer | string): Buffer {
  if (input.length > CSR_MAX_BYTES * 2) throw new DomainError("CSR_TOO_LARGE", { maxBytes: CSR_MAX_BYTES });
  const text = typeof input === "string" ? input : input.subarray(0, 11).toString("latin1") === "-----BEGIN " ? input.toString("latin1") : undefined;
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
  if (parts.algorithm !== OID.rsaEncryption && parts.algorithm !== OID.ecPublicKey) throw new DomainError("CSR_UNSUPPORTED_ALGORITHM", { algorithm: parts.algorithm });
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
  throw new DomainError(/^(secp|prime)(112|128|160|192|224)/.test(curve) ? "CSR_WEAK_KEY" : "CSR_UNSUPPORTED_ALGORITHM", { algorithm: `EC-${curve}` });
}

interface Request {
  info: Buffer;
  spki: Buffer;
  spkiParts: SpkiParts;
  signatureAlgorithm: string;
  signature: Buffer;
}

/**
 * Reads CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature } straight
 * from the asn1js tree. pkijs's schema comparison would double the cost of the issuance hot path (STACK-NOTES), and
 * the fields needed are few: every one is checked for its type here, and the subject is not read at all.
 */
function readRequest(der: Buffer): Request {
  try {
    const [infoBlock, algBlock, sigBlock, extra] = elementsOf(fromDer(der));
    if (extra || !(infoBlock instanceof asn1js.Sequence) || !(algBlock instanceof asn1js.Sequence)) throw new DerError("unexpected CertificationRequest");
    const [version, subject, spkiBlock, attributes, more] = elementsOf(infoBlock);
    if (!(version instanceof asn1js.Integer) || !(subject instanceof asn1js.Sequence) || !(spkiBlock instanceof asn1js.Sequence) || more) {
      throw new DerError("unexpected CertificationRequestInfo");
    }
    if (version.valueBlock.valueHexView.length !== 1 || version.valueBlock.valueHexView[0] !== 0) throw new DerError("unsupported version");
    // attributes [0] IMPLICIT SET OF Attribute: required by RFC 2986, may be empty
    if (!attributes || attributes.idBlock.tagClass !== 3 || attributes.idBlock.tagNumber !== 0 || !attributes.idBlock.isConstructed) {
      throw new DerError("missing attributes");
    }
    const [algId] = elementsOf(algBlock);
    if (!(algId instanceof asn1js.ObjectIdentifier)) throw new DerError("unexpected signature algorithm");
    return {
      info: rawOf(infoBlock),
      spki: rawOf(spkiBlock),
      spkiParts: spkiPartsOf(spkiBlock),
      signatureAlgorithm: algId.valueBlock.toString(),
      signature: bitStringBytes(sigBlock as asn1js.BitString),
    };
  } catch (e) {
    if (e instanceof DerError) throw new DomainError("CSR_MALFORMED", { reason: e.message });
    throw e;
  }
}

function decode(input: Buffer | string): Decoded {
  const der = toDer(input);
  const req = readRequest(der);
  const key = checkKey(req.spki, req.spkiParts);
  const sig = SIGNATURES[req.signatureAlgorithm];
  if (!sig || sig.keyType !== key.asymmetricKeyType) throw new DomainError("CSR_UNSUPPORTED_ALGORITHM", { algorithm: req.signatureAlgorithm });
  return { der, spki: req.spki, spkiSha256: sha256Hex(req.spki), keyAlgorithm: keyAlgorithmOf(key), info: req.info, key, digest: sig.digest, signature: req.signature };
}

const result = (d: Decoded): ParsedCsr => ({ spki: d.spki, spkiSha256: d.spkiSha256, keyAlgorithm: d.keyAlgorithm, der: d.der });

/**
 * Parses a PKCS#10 request (DER, PEM or bare base64; at most 16 KiB), enforces the key policy (RSA ≥ 2048,
 * EC P-256/P-384) and verifies its self-signature. The CSR's subject is deliberately ignored: renewed
 * certificates copy the old certificate's subject. Throws DomainError CSR_* only.
 */
export function parseCsr(input: Buffer | string): ParsedCsr {
  const d = decode(input);
  let ok = false;
  try {
    ok = cryptoVerify(d.digest, d.info, d.key, d.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new DomainError("CSR_INVALID_SIGNATURE");
  return result(d);
}

/** parseCsr with the signature check on libuv's thread pool: the issuance hot path, so both cores verify. */
export async function parseCsrAsync(input: Buffer | string): Promise<ParsedCsr> {
  const d = decode(input);
  const ok = await new Promise<boolean>((resolve) => {
    try {
      cryptoVerify(d.digest, d.info, d.key, d.signature, (err, valid) => resolve(!err && valid));
    } catch {
      resolve(false);
    }
  });
  if (!ok) throw new DomainError("CSR_INVALID_SIGNATURE");
  return result(d);
}

/** CSR_KEY_REUSED when the profile requires a new key pair and the CSR carries the old certificate's key. */
export function assertRekey(csr: ParsedCsr, oldSpkiSha256: string, requireRekey: boolean): void {
  if (requireRekey && csr.spkiSha256 === oldSpkiSha256) throw new DomainError("CSR_KEY_REUSED");
}
