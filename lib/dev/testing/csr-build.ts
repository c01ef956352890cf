import { createPublicKey, sign as cryptoSign, type KeyObject } from "node:crypto";
import { bits, explicit, nul, oid, seq, uint } from "../../pki/der";
import { encodeName, type SubjectFields } from "../../pki/name";
import { OID } from "../../pki/oids";

/**
 * A PKCS#10 request signed with `privateKey` (SHA-256; RSA PKCS#1 v1.5 or ECDSA). For the virtual token, demo
 * data and tests; the portal itself only reads CSRs.
 */
export function createCsr(privateKey: KeyObject, subject: SubjectFields = { C: "CN", CN: "CertRenew" }): Buffer {
  const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
  const info = seq(uint(0), encodeName(subject), spki, explicit(0));
  const rsa = privateKey.asymmetricKeyType === "rsa";
  const alg = rsa ? seq(oid(OID.sha256WithRSA), nul()) : seq(oid(OID.ecdsaSha256));
  const digest = privateKey.asymmetricKeyDetails?.namedCurve === "secp384r1" ? "sha384" : "sha256";
  const algorithm = digest === "sha384" ? seq(oid(OID.ecdsaSha384)) : alg;
  return seq(info, algorithm, bits(cryptoSign(digest, info, privateKey)));
}
