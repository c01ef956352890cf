import { KeyObject, createPublicKey, sign as cryptoSign } from "node:crypto";
import { SM2_OIDS, sm2PairOfKeyObject, sm2Sign, sm2SpkiEncode, type Sm2KeyPair } from "../../crypto/sm2";
import { bits, explicit, nul, oid, seq, uint } from "../../pki/der";
import { encodeName, type SubjectFields } from "../../pki/name";
import { OID } from "../../pki/oids";

/**
 * A PKCS#10 request signed with `privateKey` (SHA-256 with RSA PKCS#1 v1.5 or ECDSA; SM2-with-SM3 with the default
 * ID for SM2 keys, given as a KeyObject or a key pair). For the virtual token, demo data and tests; the portal
 * itself only reads CSRs.
 */
export function createCsr(
  privateKey: KeyObject | Sm2KeyPair,
  subject: SubjectFields = { C: "CN", CN: "CertRenew" },
): Buffer {
  const sm2 = privateKey instanceof KeyObject ? sm2PairOfKeyObject(privateKey) : privateKey;
  if (sm2) {
    const info = seq(uint(0), encodeName(subject), sm2SpkiEncode(sm2.publicKey), explicit(0));
    const sig = sm2Sign(info, sm2.privateKey, { publicKey: sm2.publicKey });
    return seq(info, seq(oid(SM2_OIDS.sm2WithSm3)), bits(sig));
  }
  const key = privateKey as KeyObject;
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const info = seq(uint(0), encodeName(subject), spki, explicit(0));
  const rsa = key.asymmetricKeyType === "rsa";
  const alg = rsa ? seq(oid(OID.sha256WithRSA), nul()) : seq(oid(OID.ecdsaSha256));
  const digest = key.asymmetricKeyDetails?.namedCurve === "secp384r1" ? "sha384" : "sha256";
  const algorithm = digest === "sha384" ? seq(oid(OID.ecdsaSha384)) : alg;
  return seq(info, algorithm, bits(cryptoSign(digest, info, key)));
}
