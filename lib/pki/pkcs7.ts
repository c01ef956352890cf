import { explicit, oid, seq, set, tlv, uint } from "./der";
import { OID } from "./oids";

/**
 * A certs-only CMS SignedData (RFC 5652 "degenerate" PKCS#7): no signers, just the certificates, leaf first.
 * This is what the token writes (.p7b).
 */
export function pkcs7CertsOnly(certs: Buffer[]): Buffer {
  const signedData = seq(
    uint(1),
    set(), // digestAlgorithms
    seq(oid(OID.data)), // encapContentInfo without content
    tlv(0xa0, ...certs), // certificates [0] IMPLICIT SET OF Certificate
    set(), // signerInfos
  );
  return seq(oid(OID.signedData), explicit(0, signedData));
}

export function pkcs7CertsOnlyBase64(certs: Buffer[]): string {
  return pkcs7CertsOnly(certs).toString("base64");
}
