import "@/tests/helpers/env";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { withTx } from "@/lib/audit";
import { systemClock } from "@/lib/clock";
import { generateSm2KeyPair, sm2KeyObject, sm2SpkiDecode } from "@/lib/crypto/sm2";
import type { OpenDb } from "@/lib/db";
import { fixedClock } from "@/lib/dev/testing/clock";
import { createCsr } from "@/lib/dev/testing/csr-build";
import type { Ca } from "@/lib/pki/ca";
import { currentCrl } from "@/lib/pki/crl";
import { parseCsr } from "@/lib/pki/csr";
import { bitStringContent, children, content, raw, readAll } from "@/lib/pki/der";
import { issueRenewal } from "@/lib/pki/issue";
import { parseCertificate } from "@/lib/pki/x509";
import { derToPem } from "@/tests/helpers/pem";
import { insertHolderCertificate, openssl, opensslAsync } from "@/tests/helpers/pki";
import { revokeForKeyCompromise, useOcspCa } from "@/tests/helpers/ocsp-ca";

/*
 * OpenSSL 3.0 checks SM2 signatures in certificates, CRLs and OCSP responses with an EMPTY signer ID unless told
 * otherwise, and `openssl verify -vfyopt distid:…` applies the ID to the target certificate only (openssl issues
 * #14385, #23471). The CA signs with the GM/T 0009 default ID, as GM/T 0015 certificates are; so each link of the
 * chain is checked on its own with `-vfyopt distid:1234567812345678` (and fails without it), and CRL and OCSP
 * signatures are checked with `openssl dgst -sm3 -sigopt distid:…` over the signed bytes.
 */
const DISTID = "distid:1234567812345678";
const DAY = 86_400_000;

describe("SM2 CA (CA_KEY_ALGORITHM=SM2), checked by openssl", () => {
  let db: OpenDb;
  let ca: Ca;
  let tmp: string;
  let files: Record<string, string>;
  let url: string;
  const world = useOcspCa("SM2", "certrenew-sm2-");
  beforeAll(() => ({ db, ca, tmp, files, url } = world));

  /** openssl dgst checks the SM2 signature of a SEQUENCE { tbs, algorithm, BIT STRING } against `spki`. */
  function opensslChecksSignature(signed: Buffer, spki: Buffer, name: string, distid = DISTID): string {
    const [tbs, algorithm, signature] = children(readAll(signed));
    expect(raw(algorithm).toString("hex")).toBe("300a06082a811ccf55018375"); // SM2-with-SM3, no parameters
    const f = (suffix: string, data: Buffer) => {
      const p = path.join(tmp, `${name}.${suffix}`);
      writeFileSync(p, data);
      return p;
    };
    return openssl([
      ...["dgst", "-sm3", "-verify", f("pub.der", spki), "-keyform", "DER", "-sigopt", distid],
      ...["-signature", f("sig", bitStringContent(signature)), f("tbs", raw(tbs))],
    ]);
  }

  async function renewOne(newKey: Parameters<typeof createCsr>[0]) {
    const now = new Date();
    const old = await insertHolderCertificate(db.prisma, ca, {
      notBefore: new Date(now.getTime() - 340 * DAY),
      notAfter: new Date(now.getTime() + 20 * DAY),
      key: sm2KeyObject(generateSm2KeyPair()),
    });
    const cert = await withTx(db.prisma, (tx) =>
      issueRenewal(tx, {
        oldCertificate: old.row,
        csr: parseCsr(createCsr(newKey)),
        orderId: "order-sm2",
        clock: fixedClock(now),
        ca,
      }),
    );
    const der = Buffer.from(cert.der);
    const leaf = path.join(tmp, `leaf-${cert.serial}.pem`);
    writeFileSync(leaf, derToPem(der));
    return { cert, der, leaf, old };
  }

  it("makes an SM2 root and issuing CA: SM2 keys, SM2-with-SM3 signatures with the default ID", () => {
    expect(ca.signer.algorithm).toBe("SM2");
    const rootText = openssl(["x509", "-in", files.root, "-noout", "-text"]);
    expect(rootText).toContain("Signature Algorithm: SM2-with-SM3");
    expect(rootText).toContain("ASN1 OID: SM2");
    // the root's self-signature (openssl's -check_ss_sig does not pass the ID on: checked with dgst)
    const root = parseCertificate(ca.rootCert);
    expect(opensslChecksSignature(ca.rootCert, root.spki, "root")).toContain("Verified OK");
    expect(() => opensslChecksSignature(ca.rootCert, root.spki, "root-empty-id", "distid:")).toThrow();
    expect(openssl(["verify", "-vfyopt", DISTID, "-CAfile", files.root, files.issuing])).toContain(": OK");
    expect(() => openssl(["verify", "-CAfile", files.root, files.issuing])).toThrow(/signature failure/);
  });

  it.each([
    ["an SM2 key (SM2 CSR)", () => generateSm2KeyPair(), "ASN1 OID: SM2"],
    [
      "an RSA key",
      () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey,
      "Public Key Algorithm: rsaEncryption",
    ],
  ] as const)("issues a renewal for %s that openssl verifies under the issuing CA", async (_, makeKey, shown) => {
    const { leaf, cert } = await renewOne(makeKey());
    expect(openssl(["verify", "-vfyopt", DISTID, "-partial_chain", "-CAfile", files.issuing, leaf])).toContain(": OK");
    expect(() => openssl(["verify", "-partial_chain", "-CAfile", files.issuing, leaf])).toThrow(/signature failure/);
    const text = openssl(["x509", "-in", leaf, "-noout", "-text"]);
    expect(text).toContain("Signature Algorithm: SM2-with-SM3");
    expect(text).toContain(shown);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    if (shown.startsWith("ASN1")) expect(cert.keyAlgorithm).toBe("SM2");
  });

  it("an SM2 holder certificate's key is the CSR's key", async () => {
    const pair = generateSm2KeyPair();
    const { der } = await renewOne(pair);
    expect(sm2SpkiDecode(parseCertificate(der).spki).equals(pair.publicKey)).toBe(true);
  });

  it("signs the CRL SM2-with-SM3: openssl reads it and verifies its signature with the issuing key", async () => {
    const { cert } = await renewOne(generateSm2KeyPair());
    await revokeForKeyCompromise(db, ca, cert.serial);
    const crl = await currentCrl(db.prisma, { ca, clock: systemClock });
    const crlFile = path.join(tmp, "issuing.crl");
    writeFileSync(crlFile, crl.der);
    const text = openssl(["crl", "-inform", "DER", "-in", crlFile, "-noout", "-text"]);
    expect(text).toContain("Signature Algorithm: SM2-with-SM3");
    expect(text).toContain(`Serial Number: ${cert.serial.toUpperCase()}`);
    expect(text).toContain("Key Compromise");
    expect(opensslChecksSignature(crl.der, ca.signer.publicKeySpki, "crl")).toContain("Verified OK");
  });

  it("answers OCSP good and revoked with SM2-signed responses (openssl ocsp reads them, dgst verifies them)", async () => {
    const { cert, leaf } = await renewOne(generateSm2KeyPair());
    const ask = async (name: string) => {
      const respFile = path.join(tmp, `${name}.ocsp`);
      const out = await opensslAsync([
        ...["ocsp", "-issuer", files.issuing, "-cert", leaf, "-url", url, "-no_nonce", "-noverify"],
        ...["-resp_text", "-respout", respFile],
      ]);
      // OCSPResponse { status, [0] { SEQUENCE { responseType, OCTET STRING { BasicOCSPResponse } } } }
      const [, explicit0] = children(readAll(readFileSync(respFile)));
      const [responseBytes] = children(explicit0!);
      const [, basicOctets] = children(responseBytes!);
      return { out, basic: content(basicOctets!) };
    };
    const good = await ask("good");
    expect(good.out).toMatch(/: good/);
    expect(good.out).toContain("Signature Algorithm: SM2-with-SM3");
    expect(opensslChecksSignature(good.basic, ca.signer.publicKeySpki, "ocsp-good")).toContain("Verified OK");

    await revokeForKeyCompromise(db, ca, cert.serial);
    const revoked = await ask("revoked");
    expect(revoked.out).toMatch(/: revoked/);
    expect(opensslChecksSignature(revoked.basic, ca.signer.publicKeySpki, "ocsp-revoked")).toContain("Verified OK");
  });
});
