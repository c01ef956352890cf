import "@/tests/helpers/env";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import type { OpenDb } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { currentCrl } from "@/lib/pki/crl";
import { createCsr } from "@/lib/dev/testing/csr-build";
import { issueRenewal } from "@/lib/pki/issue";
import { pkcs7CertsOnly } from "@/lib/pki/pkcs7";
import { derToPem } from "@/tests/helpers/pem";
import { crlTextOf, insertHolderCertificate, openssl, opensslAsync, writePem } from "@/tests/helpers/pki";
import { revokeForKeyCompromise, useOcspCa } from "@/tests/helpers/ocsp-ca";
import { withTx } from "@/lib/audit";
import { parseCsr } from "@/lib/pki/csr";

const DAY = 86_400_000;

describe.each(["P-256", "RSA-2048"] as const)("CA with a %s key, checked by openssl", (algorithm) => {
  let db: OpenDb;
  let ca: Ca;
  let tmp: string;
  let url: string;
  let files: Record<string, string>;
  const world = useOcspCa(algorithm, "certrenew-openssl-");
  beforeAll(() => ({ db, ca, tmp, files, url } = world));

  async function renewOne() {
    const now = new Date();
    const old = await insertHolderCertificate(db.prisma, ca, {
      notBefore: new Date(now.getTime() - 340 * DAY),
      notAfter: new Date(now.getTime() + 20 * DAY),
    });
    const newKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const csr = createCsr(newKey, { C: "CN", CN: "ignored subject from the CSR" });
    const cert = await withTx(db.prisma, (tx) =>
      issueRenewal(tx, { oldCertificate: old.row, csr: parseCsr(csr), orderId: "order-1", clock: fixedClock(now), ca }),
    );
    return { old, csr, cert, der: Buffer.from(cert.der) };
  }

  it("CSRs made for renewal pass openssl req -verify", () => {
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const out = openssl(["req", "-verify", "-noout", "-inform", "DER"], createCsr(key));
    expect(out).toMatch(/verif(y|ication) OK/i);
  });

  it("issues a renewed certificate that openssl verifies against the root with the profile's extensions", async () => {
    const { cert, der, old } = await renewOne();
    const leaf = writePem(tmp, { [`leaf-${cert.serial}`]: der })[`leaf-${cert.serial}`];
    expect(
      openssl(["verify", "-CAfile", files.root, "-untrusted", files.issuing, "-purpose", "sslclient", leaf]),
    ).toContain(": OK");
    const text = openssl(["x509", "-in", leaf, "-noout", "-text", "-nameopt", "utf8"]);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation, Key Encipherment/);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication, E-mail Protection/);
    expect(text).toContain("X509v3 Subject Key Identifier");
    expect(text).toContain("X509v3 Authority Key Identifier");
    expect(text).toContain("URI:http://127.0.0.1:9/crl/issuing.crl");
    expect(text).toContain("OCSP - URI:http://127.0.0.1:9/ocsp");
    expect(text).toContain("CA Issuers - URI:http://127.0.0.1:9/ca/issuing.cer");
    expect(text).toContain("Policy: 1.2.156.112559.1.1.1");
    // subject copied from the old certificate, not the CSR
    expect(text).toContain("Subject: C=CN, ST=SD, L=dezhou, OU=I370101000000001, CN=测试证书2018072403");
    expect(text).not.toContain("ignored subject");
    const oldNotAfter = old.row.notAfter;
    expect(cert.notAfter.toISOString()).toBe(
      new Date(
        Date.UTC(
          oldNotAfter.getUTCFullYear() + 1,
          oldNotAfter.getUTCMonth(),
          oldNotAfter.getUTCDate(),
          oldNotAfter.getUTCHours(),
          oldNotAfter.getUTCMinutes(),
          oldNotAfter.getUTCSeconds(),
        ),
      ).toISOString(),
    );
  });

  it("bundles leaf and chain as a certs-only PKCS#7 that openssl pkcs7 prints", async () => {
    const { der } = await renewOne();
    const out = openssl(["pkcs7", "-print_certs", "-inform", "DER", "-noout"], pkcs7CertsOnly([der, ...ca.chain]));
    expect(out.match(/^subject=/gm)).toHaveLength(3);
    expect(out).toContain("Issuing CA");
    expect(out).toContain("Root CA");
  });

  it("answers OCSP good, then revoked with reason after revocation, and unknown for a stranger (openssl ocsp)", async () => {
    const { der, cert } = await renewOne();
    const leaf = path.join(tmp, `ocsp-${cert.serial}.pem`);
    writeFileSync(leaf, derToPem(der));
    const ask = (extra: string[] = []) =>
      opensslAsync([
        "ocsp",
        "-issuer",
        files.issuing,
        "-cert",
        leaf,
        "-url",
        url,
        "-CAfile",
        files.root,
        "-resp_text",
        ...extra,
      ]);

    const good = await ask();
    expect(good).toContain("Response verify OK");
    expect(good).toMatch(/: good/);
    expect(good).toContain("Next Update:");
    expect(await ask(["-no_nonce"])).toMatch(/: good/);

    await revokeForKeyCompromise(db, ca, cert.serial);
    const revoked = await ask(["-no_nonce"]);
    expect(revoked).toContain("Response verify OK");
    expect(revoked).toMatch(/: revoked/);
    expect(revoked).toContain("Reason: keyCompromise");
    expect(await ask()).toMatch(/: revoked/);

    const stranger = await insertHolderCertificate(db.prisma, ca, {
      notBefore: new Date(),
      notAfter: new Date(Date.now() + DAY),
    });
    await db.prisma.certificate.delete({ where: { id: stranger.row.id } });
    const strangerPem = path.join(tmp, "stranger.pem");
    writeFileSync(strangerPem, derToPem(stranger.der));
    const unknown = await opensslAsync([
      "ocsp",
      "-issuer",
      files.issuing,
      "-cert",
      strangerPem,
      "-url",
      url,
      "-CAfile",
      files.root,
      "-resp_text",
    ]);
    expect(unknown).toContain("Response verify OK");
    expect(unknown).toMatch(/: unknown/);

    const crl = await currentCrl(db.prisma, { ca, clock: systemClock });
    const crlText = crlTextOf(path.join(tmp, "issuing.crl"), crl.der, files.issuing);
    expect(crlText).toContain("verify OK");
    expect(crlText).toContain(`Serial Number: ${cert.serial.toUpperCase()}`);
    expect(crlText).toContain("Key Compromise");
    expect(crlText).toMatch(/X509v3 CRL Number:\s+\d+/);
  });

  it("serves an openssl-verifiable CRL with increasing CRL numbers", async () => {
    const first = await currentCrl(db.prisma, { ca, clock: systemClock });
    const later = await currentCrl(db.prisma, { ca, clock: fixedClock(new Date(Date.now() + 2 * DAY)) });
    expect(later.crlNumber).toBeGreaterThan(first.crlNumber);
    const f = path.join(tmp, "later.crl");
    writeFileSync(f, later.der);
    expect(openssl(["crl", "-inform", "DER", "-in", f, "-CAfile", files.issuing, "-verify", "-noout"])).toContain(
      "verify OK",
    );
    expect(readFileSync(f).length).toBeGreaterThan(100);
  });
});
