import * as pkijs from "pkijs";
import { decodePki } from "./asn1";
import { OID } from "./oids";

/**
 * A certs-only CMS SignedData (RFC 5652 "degenerate" PKCS#7): no signers, just the certificates, leaf first.
 * This is what the token writes (.p7b). Built with pkijs SignedData + ContentInfo; throws DerError if one of
 * `certs` is not a certificate.
 */
export function pkcs7CertsOnly(certs: Buffer[]): Buffer {
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates: certs.map((der) => decodePki(der, (schema) => new pkijs.Certificate({ schema })).value),
    signerInfos: [],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema() });
  return Buffer.from(contentInfo.toSchema().toBER());
}

export function pkcs7CertsOnlyBase64(certs: Buffer[]): string {
  return pkcs7CertsOnly(certs).toString("base64");
}
