/**
 * CMP message protection: PasswordBasedMac (RFC 4210 5.1.3.1, the CMP_REF/CMP_SECRET case) and signatures with the
 * RA's certificate (CMP_CERT/CMP_KEY, or a PKCS#11 key through the Signer seam), and the checks every answer
 * passes: its MAC, or its signature by a certificate that chains to CMP_TRUSTED.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual, verify, X509Certificate } from "node:crypto";
import { children, content, DerError, octets, oid, readAll, readOid, seq, uint, type Node } from "../../der";
import { OID } from "../../oids";
import type { Signer } from "../../signer";
import { signatureAlgorithmFor } from "../../signer";
import { algorithmOf, CMP_OID, octetString, smallInt } from "./messages";

/** What the client protects its requests with. */
export type Protection =
  | {
      kind: "mac";
      ref: Buffer;
      secret: Buffer;
      /** our PBMParameter's AlgorithmIdentifier, one salt per issuer (see macProtection) */
      algorithm: Buffer;
      /** derived keys by PBMParameter: the iterated hash costs milliseconds, a message's HMAC microseconds */
      keys: Map<string, Buffer>;
    }
  | {
      kind: "signature";
      signer: Signer;
      /** the RA's certificate first, then any intermediates the CA needs to reach its trust anchor */
      certChainDer: Buffer[];
    };

/**
 * PBMAC protection with one random salt for the issuer's lifetime: the salt keeps precomputed tables from working
 * across secrets; a fresh one per message would only repeat the 10,000 hashes (about 10 ms) for every message.
 */
export function macProtection(ref: Buffer, secret: Buffer): Protection {
  const params = seq(
    octets(randomBytes(16)),
    seq(oid(OID.sha256)),
    uint(OUR_ITERATIONS),
    seq(oid(CMP_OID.hmacWithSha256)),
  );
  return { kind: "mac", ref, secret, algorithm: seq(oid(CMP_OID.passwordBasedMac), params), keys: new Map() };
}

const OWF: Record<string, string> = {
  [OID.sha1]: "sha1",
  [OID.sha256]: "sha256",
  [CMP_OID.sha384]: "sha384",
  [CMP_OID.sha512]: "sha512",
};
const HMAC: Record<string, string> = {
  [CMP_OID.hmacSha1]: "sha1",
  [CMP_OID.hmacWithSha1]: "sha1",
  [CMP_OID.hmacWithSha224]: "sha224",
  [CMP_OID.hmacWithSha256]: "sha256",
  [CMP_OID.hmacWithSha384]: "sha384",
  [CMP_OID.hmacWithSha512]: "sha512",
};
/** OpenSSL's bounds (crmf_pbm.c): fewer is weak, more lets a peer make us hash for seconds. */
const MIN_ITERATIONS = 100;
const MAX_ITERATIONS = 100_000;
const OUR_ITERATIONS = 10_000;

/** The AlgorithmIdentifier our requests carry in protectionAlg. */
export function protectionAlgorithm(p: Protection): Buffer {
  return p.kind === "signature" ? signatureAlgorithmFor(p.signer.algorithm) : p.algorithm;
}

/** A CA that changes its salt with every answer cannot grow the key cache past this. */
const MAX_CACHED_KEYS = 64;

/** PBMAC key: the one-way function applied iterationCount times to secret ‖ salt, then HMAC over the data. */
function passwordBasedMac(p: Extract<Protection, { kind: "mac" }>, params: Node, data: Buffer): Buffer {
  const [saltNode, owfNode, countNode, macNode] = children(params);
  if (!macNode) throw new DerError("short PBMParameter");
  const owf = OWF[algorithmOf(owfNode).oid];
  const mac = HMAC[algorithmOf(macNode).oid];
  if (!owf || !mac) throw new ProtectionError("unsupported PasswordBasedMac algorithm");
  const id = params.buf.subarray(params.start, params.end).toString("hex");
  let key = p.keys.get(id);
  if (!key) {
    const count = smallInt(countNode);
    if (count < MIN_ITERATIONS || count > MAX_ITERATIONS)
      throw new ProtectionError("PBMAC iteration count out of range");
    key = createHash(owf).update(p.secret).update(octetString(saltNode)).digest();
    for (let i = 1; i < count; i++) key = createHash(owf).update(key).digest();
    if (p.keys.size >= MAX_CACHED_KEYS) p.keys.delete(p.keys.keys().next().value!);
    p.keys.set(id, key);
  }
  return createHmac(mac, key).update(data).digest();
}

/** Protects ProtectedPart (`data`) with the algorithm already written into the header (`algorithm`). */
export async function protect(p: Protection, algorithm: Buffer, data: Buffer): Promise<Buffer> {
  if (p.kind === "signature") return p.signer.sign(data);
  const params = children(readAll(algorithm))[1];
  return passwordBasedMac(p, params, data);
}

export class ProtectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtectionError";
  }
}

const SIGNATURE_DIGEST: Record<string, string | null> = {
  [OID.sha256WithRSA]: "sha256",
  [OID.sha384WithRSA]: "sha384",
  [OID.sha512WithRSA]: "sha512",
  [OID.ecdsaSha256]: "sha256",
  [OID.ecdsaSha384]: "sha384",
  [OID.ecdsaSha512]: "sha512",
  "1.3.101.112": null, // Ed25519
};

/** The CA certificates answers must chain to (CMP_TRUSTED), and the path building over them. */
export class TrustAnchors {
  readonly anchors: X509Certificate[];

  constructor(certsDer: Buffer[]) {
    if (certsDer.length === 0) throw new Error("CMP_TRUSTED holds no certificate");
    this.anchors = certsDer.map((d) => new X509Certificate(d));
  }

  /**
   * The path from `leaf` to a trust anchor, leaf first and the anchor last, through `pool` (extraCerts, caPubs).
   * Every link: signature, issuer name, validity at `now`, and a CA certificate above the leaf.
   */
  path(leafDer: Buffer, poolDer: Buffer[], now = new Date()): X509Certificate[] {
    const leaf = new X509Certificate(leafDer);
    const pool = [...this.anchors, ...poolDer.map((d) => new X509Certificate(d))];
    const out = [leaf];
    for (let cert = leaf; out.length <= 8;) {
      checkValidity(cert, now);
      if (this.anchors.some((a) => a.fingerprint256 === cert.fingerprint256)) return out;
      const issuer = pool.find(
        (c) =>
          c.ca &&
          cert.checkIssued(c) &&
          cert.verify(c.publicKey) &&
          !out.some((o) => o.fingerprint256 === c.fingerprint256),
      );
      if (!issuer) throw new ProtectionError(`no path from "${leaf.subject.replace(/\n/g, ",")}" to CMP_TRUSTED`);
      out.push(issuer);
      cert = issuer;
    }
    throw new ProtectionError("certificate path too long");
  }
}

function checkValidity(c: X509Certificate, now: Date) {
  if (now < new Date(c.validFrom) || now > new Date(c.validTo))
    throw new ProtectionError(`certificate "${c.subject.replace(/\n/g, ",")}" is outside its validity`);
}

export interface AnswerToCheck {
  protectionAlg?: Node;
  protection?: Buffer;
  /** the answer's sender directoryName, DER Name (undefined if another GeneralName) */
  senderName?: Buffer;
  senderKID?: Buffer;
  protectedPart: Buffer;
  extraCerts: Buffer[];
}

/**
 * Checks an answer's protection: a MAC with our shared secret, or a signature by the certificate among extraCerts
 * that names the sender (and carries senderKID, if given) and chains to the trust anchors. Unprotected answers,
 * errors included, are refused: anyone on the path could have written them.
 */
export function verifyAnswer(a: AnswerToCheck, ours: Protection, trust: TrustAnchors, now = new Date()): void {
  if (!a.protectionAlg || !a.protection) throw new ProtectionError("answer is not protected");
  const alg = algorithmOf(a.protectionAlg);
  if (alg.oid === CMP_OID.passwordBasedMac) {
    if (ours.kind !== "mac" || !alg.params)
      throw new ProtectionError("answer MAC-protected but no shared secret is set");
    const expected = passwordBasedMac(ours, alg.params, a.protectedPart);
    if (expected.length !== a.protection.length || !timingSafeEqual(expected, a.protection))
      throw new ProtectionError("answer MAC does not match");
    return;
  }
  if (!(alg.oid in SIGNATURE_DIGEST)) throw new ProtectionError(`unsupported protection algorithm ${alg.oid}`);
  // RFC 9483 puts the signer's certificate first in extraCerts; a CA that leaves it out may be pinned in CMP_TRUSTED
  const signerDer = [...a.extraCerts, ...trust.anchors.map((c) => c.raw)].find((d) => {
    if (a.senderName && !subjectDerOf(d).equals(a.senderName)) return false;
    return !a.senderKID || keyIdOf(new X509Certificate(d))?.equals(a.senderKID) === true;
  });
  if (!signerDer) throw new ProtectionError("the answer's signer certificate is not among its extraCerts");
  const signer = new X509Certificate(signerDer);
  const digest = SIGNATURE_DIGEST[alg.oid];
  const key =
    signer.publicKey.asymmetricKeyType === "ec"
      ? { key: signer.publicKey, dsaEncoding: "der" as const }
      : signer.publicKey;
  if (!verify(digest, a.protectedPart, key, a.protection))
    throw new ProtectionError("answer signature does not verify");
  trust.path(signerDer, a.extraCerts, now);
}

/** The subject Name of a certificate, DER (tbs: [0] version, serial, signature, issuer, validity, subject). */
export function subjectDerOf(certDer: Buffer): Buffer {
  return certFields(certDer).subject;
}

export function certFields(certDer: Buffer): { serial: Buffer; issuer: Buffer; subject: Buffer; spki: Buffer } {
  const [tbs] = children(readAll(certDer));
  const f = children(tbs);
  const i = f[0].tag === 0xa0 ? 1 : 0;
  const rawOf = (n: Node) => Buffer.from(n.buf.subarray(n.start, n.end));
  return { serial: rawOf(f[i]), issuer: rawOf(f[i + 2]), subject: rawOf(f[i + 4]), spki: rawOf(f[i + 5]) };
}

/** The subjectKeyIdentifier extension's key id, if the certificate has one. */
export function keyIdOf(c: X509Certificate): Buffer | undefined {
  const ext = extensionValue(c.raw, OID.subjectKeyIdentifier);
  return ext ? Buffer.from(content(readAll(ext))) : undefined;
}

function extensionValue(certDer: Buffer, wanted: string): Buffer | undefined {
  const [tbs] = children(readAll(certDer));
  const exts = children(tbs).find((n) => n.tag === 0xa3);
  if (!exts) return undefined;
  for (const ext of children(children(exts)[0])) {
    const parts = children(ext);
    if (readOid(parts[0]) === wanted) return Buffer.from(content(parts[parts.length - 1]));
  }
  return undefined;
}
