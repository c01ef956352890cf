/**
 * lib/pki/der.ts against asn1js/pkijs on the three jobs it does on the hot paths, same inputs, same output bytes:
 *
 * - read a PKCS#10 request (structure only, no signature check): `readRequest` vs asn1js `fromBER` + pkijs
 *   `CertificationRequest` — every 下证 and every issuance in bench/issue.ts reads one;
 * - write a holder certificate's TBSCertificate from DER inputs (issuer, subject, SPKI) and extension blocks
 *   prepared once: `encodeTbsCertificate` vs a pkijs `Certificate` built from the same pieces and `encodeTBS()`;
 * - write the certs-only PKCS#7 of a leaf and its two CA certificates: `pkcs7CertsOnly` vs pkijs `SignedData`.
 *
 *   npx tsx bench/der.ts [--ms 1000]
 *
 * One thread, `--ms` of timed work per case after a warm-up; prints µs per operation and the ratio.
 */
import { generateKeyPairSync } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { createCsr } from "../lib/dev/testing/csr-build";
import { readRequest } from "../lib/pki/csr";
import { encodeName } from "../lib/pki/name";
import { OID } from "../lib/pki/oids";
import { pkcs7CertsOnly } from "../lib/pki/pkcs7";
import { PROFILES } from "../lib/pki/profiles";
import { FileSigner, generateKey, keyIdentifier, signStructure, signatureAlgorithmFor } from "../lib/pki/signer";
import {
  authorityInfoAccessExt,
  authorityKeyIdExt,
  basicConstraintsExt,
  certificatePoliciesExt,
  crlDistributionPointsExt,
  encodeTbsCertificate,
  extKeyUsageExt,
  keyUsageExt,
  subjectKeyIdExt,
  type TbsInput,
} from "../lib/pki/x509";

const { values } = parseArgs({ options: { ms: { type: "string", default: "1000" } } });
const MS = Number(values.ms);

console.log(`command: ${process.argv.map((a) => (a.includes(" ") ? JSON.stringify(a) : a)).join(" ")}`);
console.log(
  `${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);

/** µs per call of `fn`, over `MS` ms after a warm-up of a tenth of that. */
function time(fn: () => unknown): number {
  const run = (ms: number) => {
    let n = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(ms) * 1_000_000n;
    let now = start;
    while (now < end) {
      for (let i = 0; i < 50; i++) fn();
      n += 50;
      now = process.hrtime.bigint();
    }
    return Number(now - start) / 1000 / n;
  };
  run(Math.max(50, MS / 10));
  return run(MS);
}

const rows: { job: string; der: number; pkijs: number }[] = [];
function compare(job: string, ours: () => Buffer, theirs: () => Buffer) {
  if (!ours().equals(theirs())) throw new Error(`${job}: the two encodings differ`);
  rows.push({ job, der: time(ours), pkijs: time(theirs) });
}

const ab = (b: Buffer) => new Uint8Array(b);
const schema = (b: Buffer) => asn1js.fromBER(ab(b)).result;

// ---- inputs ----
const holderKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const csr = createCsr(holderKey, { C: "CN", ST: "SD", L: "dezhou", OU: "I370101000000001", CN: "测试证书2018072403" });
const spki = readRequest(csr).spki;
const subjectDer = encodeName({ C: "CN", ST: "SD", L: "dezhou", OU: "I370101000000001", CN: "测试证书2018072403" });
const caSigner = new FileSigner(generateKey("P-256"));
const issuerName = encodeName({ C: "CN", O: "CertRenew", CN: "CertRenew Issuing CA" });
const caKeyId = keyIdentifier(caSigner.publicKeySpki);
const urls = { crl: "http://127.0.0.1/crl/issuing.crl", ocsp: "http://127.0.0.1/ocsp", ca: "http://127.0.0.1/ca.cer" };
const before = [
  basicConstraintsExt(false),
  keyUsageExt(PROFILES.personal.keyUsage.rsa),
  extKeyUsageExt(["clientAuth"]),
];
const after = [
  authorityKeyIdExt(caKeyId),
  crlDistributionPointsExt(urls.crl),
  authorityInfoAccessExt(urls.ocsp, urls.ca),
  certificatePoliciesExt("1.3.6.1.4.1.99999.1"),
];
const tbsInput = (): TbsInput => ({
  serialHex: "4f1e2d3c4b5a69788796a5b4c3d2e1f0",
  signatureAlgorithm: signatureAlgorithmFor("P-256"),
  issuerName,
  notBefore: new Date("2026-11-25T08:00:00Z"),
  notAfter: new Date("2027-11-25T08:00:00Z"),
  subjectName: subjectDer,
  spki,
  extensions: Buffer.concat([...before, subjectKeyIdExt(keyIdentifier(spki)), ...after]),
});

// ---- 1. read a PKCS#10 request ----
compare(
  "read a PKCS#10 request (RSA-2048, 5-attribute subject)",
  () => readRequest(csr).info,
  () => {
    const req = new pkijs.CertificationRequest({ schema: asn1js.fromBER(ab(csr)).result });
    return Buffer.from(req.tbsView);
  },
);

// ---- 2. write a TBSCertificate ----
// pkijs gets the same head start as der.ts: the extensions and the issuer that do not depend on the holder are
// objects made once, the per-certificate pieces (subject, SPKI, key identifier) are read from their DER
const pkijsBefore = before.map((e) => new pkijs.Extension({ schema: schema(e) }));
const pkijsAfter = after.map((e) => new pkijs.Extension({ schema: schema(e) }));
const pkijsIssuer = new pkijs.RelativeDistinguishedNames({ schema: schema(issuerName) });
const pkijsAlg = new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaSha256 });
compare(
  "write a TBSCertificate (RSA-2048 holder key, 8 extensions)",
  () => encodeTbsCertificate(tbsInput()),
  () => {
    const t = tbsInput();
    const cert = new pkijs.Certificate();
    cert.version = 2;
    cert.serialNumber = new asn1js.Integer({ valueHex: ab(Buffer.from(t.serialHex, "hex")) });
    cert.signature = pkijsAlg;
    cert.issuer = pkijsIssuer;
    cert.notBefore = new pkijs.Time({ type: 0, value: t.notBefore });
    cert.notAfter = new pkijs.Time({ type: 0, value: t.notAfter });
    cert.subject = new pkijs.RelativeDistinguishedNames({ schema: schema(subjectDer) });
    cert.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({ schema: schema(spki) });
    const ski = new pkijs.Extension({ schema: schema(subjectKeyIdExt(keyIdentifier(spki))) });
    cert.extensions = [...pkijsBefore, ski, ...pkijsAfter];
    return Buffer.from(cert.encodeTBS().toBER(false));
  },
);

// ---- 3. write a certs-only PKCS#7 ----
const leaf = await signStructure(encodeTbsCertificate(tbsInput()), caSigner);
const caCert = async (cn: string) =>
  signStructure(
    encodeTbsCertificate({
      ...tbsInput(),
      subjectName: encodeName({ C: "CN", O: "CertRenew", CN: cn }),
      spki: caSigner.publicKeySpki,
      extensions: Buffer.concat([basicConstraintsExt(true, 0), keyUsageExt(["keyCertSign", "cRLSign"])]),
    }),
    caSigner,
  );
const chain = [leaf, await caCert("CertRenew Issuing CA"), await caCert("CertRenew Root CA")];
compare(
  "write a certs-only PKCS#7 (leaf + 2 CA certificates)",
  () => pkcs7CertsOnly(chain),
  () => {
    const signed = new pkijs.SignedData({
      version: 1,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
      certificates: [...chain].sort(Buffer.compare).map((c) => new pkijs.Certificate({ schema: schema(c) })),
    });
    const info = new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) });
    return Buffer.from(info.toSchema().toBER(false));
  },
);

console.log("\n| job | der.ts µs | asn1js/pkijs µs | pkijs ÷ der.ts |\n|---|---:|---:|---:|");
for (const r of rows)
  console.log(`| ${r.job} | ${r.der.toFixed(2)} | ${r.pkijs.toFixed(1)} | ${(r.pkijs / r.der).toFixed(0)}× |`);
