import { DerError, derOrder, explicit, oid, readAll, seq, set, tlv, uint } from "./der";
import { OID } from "./oids";

/**
 * A certs-only CMS SignedData (RFC 5652 "degenerate" PKCS#7): no signers, just the certificates. This is what the
 * token writes (.p7b). The certificates are a SET OF, so DER puts them in the order of their encodings, not in the
 * order given: readers find the leaf by its key (the assistant) or its issuer, never by its position.
 *
 *   ContentInfo ::= SEQUENCE { contentType signedData, content [0] EXPLICIT SignedData }
 *   SignedData  ::= SEQUENCE { version 1, digestAlgorithms SET {}, encapContentInfo SEQUENCE { id-data },
 *                              certificates [0] IMPLICIT SET OF Certificate, signerInfos SET {} }
 *
 * Written directly around the certificates' own DER (pkijs re-parsed and re-encoded all three certificates:
 * 5.8 ms per bundle on the 下证 step; this is a few µs). The unit test reads it back with pkijs and openssl.
 * Throws DerError if one of `certs` is not a single DER element.
 */
export function pkcs7CertsOnly(certs: Buffer[]): Buffer {
  for (const der of certs) if (readAll(der).tag !== 0x30) throw new DerError("not a certificate");
  const signedData = seq(uint(1), set(), seq(oid(OID.data)), tlv(0xa0, ...derOrder(certs)), set());
  return seq(oid(OID.signedData), explicit(0, signedData));
}

export function pkcs7CertsOnlyBase64(certs: Buffer[]): string {
  return pkcs7CertsOnly(certs).toString("base64");
}
