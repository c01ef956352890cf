import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../../config";
import { loadCa } from "../../pki/ca";
import { addOneYear, randomSerialHex } from "../../pki/issue";
import { encodeName } from "../../pki/name";
import { keyIdentifier, signStructure, signatureAlgorithmFor } from "../../pki/signer";
import {
  authorityKeyIdExt,
  basicConstraintsExt,
  encodeTbsCertificate,
  extKeyUsageExt,
  keyUsageExt,
  subjectKeyIdExt,
} from "../../pki/x509";

/** Where the demo code-signing certificate lives: PEM files in DATA_DIR/codesign (made once, reused). */
export interface CodeSigningFiles {
  /** leaf first, then the issuing CA */
  certPem: string;
  keyPem: string;
  /** the demo root, for `osslsigncode verify -CAfile` */
  rootPem: string;
}

const pem = (der: Buffer, label: string) =>
  `-----BEGIN ${label}-----\n${der
    .toString("base64")
    .replace(/.{64}/g, "$&\n")
    .replace(/\n?$/, "\n")}-----END ${label}-----\n`;

/**
 * A code-signing certificate (EKU codeSigning) from the development CA, for signing the certificate assistant's
 * executables in demo mode (scripts/assistant-pack.ts). Made once in DATA_DIR/codesign; renewed when it expires
 * within 30 days or the CA changed. No CRL/OCSP pointers: they would name this portal's address, which
 * `osslsigncode verify` and Windows would try to fetch.
 */
export async function ensureDemoCodeSigning(config: Config, now = new Date()): Promise<CodeSigningFiles> {
  const dir = path.join(config.dataDir, "codesign");
  const files: CodeSigningFiles = {
    certPem: path.join(dir, "codesign.cert.pem"),
    keyPem: path.join(dir, "codesign.key.pem"),
    rootPem: path.join(dir, "root.pem"),
  };
  const ca = await loadCa(config);
  if (existsSync(files.certPem) && existsSync(files.keyPem) && existsSync(files.rootPem)) {
    const leaf = new X509Certificate(readFileSync(files.certPem));
    const issuing = new X509Certificate(ca.issuingCert);
    if (
      leaf.checkIssued(issuing) &&
      leaf.verify(issuing.publicKey) &&
      new Date(leaf.validTo).getTime() > now.getTime() + 30 * 86400_000
    )
      return files;
  }
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const tbs = encodeTbsCertificate({
    serialHex: randomSerialHex(),
    signatureAlgorithm: signatureAlgorithmFor(ca.signer.algorithm),
    issuerName: ca.issuerName,
    notBefore: new Date(Math.floor(now.getTime() / 1000) * 1000 - 3600_000),
    notAfter: addOneYear(now),
    subjectName: encodeName({ C: "CN", O: "CertRenew Demo", CN: "CertRenew Demo Code Signing" }),
    spki,
    extensions: Buffer.concat([
      basicConstraintsExt(false),
      keyUsageExt(["digitalSignature"]),
      extKeyUsageExt(["codeSigning"]),
      subjectKeyIdExt(keyIdentifier(spki)),
      authorityKeyIdExt(ca.keyId),
    ]),
  });
  const der = await signStructure(tbs, ca.signer);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(files.certPem, pem(der, "CERTIFICATE") + pem(ca.issuingCert, "CERTIFICATE"));
  writeFileSync(files.keyPem, privateKey.export({ type: "pkcs8", format: "pem" }) as string, {
    mode: 0o600,
  });
  writeFileSync(files.rootPem, pem(ca.rootCert, "CERTIFICATE"));
  return files;
}
