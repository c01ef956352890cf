import "@/tests/helpers/env";
import { execFileSync } from "node:child_process";
import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { loadCa } from "@/lib/pki/ca";
import { issueHolderCertificate } from "@/lib/dev/demo/certificates";
import { Pkcs11Signer, type SignerAlgorithm } from "@/lib/pki/signer";
import { openssl, writePem } from "@/tests/helpers/pki";

const MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const hasSoftHsm = existsSync(MODULE);
if (!hasSoftHsm) console.warn(`SKIPPED: SoftHSM2 signer tests need ${MODULE} (apt-get install -y softhsm2)`);

describe.skipIf(!hasSoftHsm)("Pkcs11Signer on SoftHSM2", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "softhsm-"));
  const opts = { module: MODULE, tokenLabel: "certrenew-ca", pin: "87654321" };
  const signers: Pkcs11Signer[] = [];

  beforeAll(() => {
    const tokens = path.join(tmp, "tokens");
    mkdirSync(tokens);
    writeFileSync(
      path.join(tmp, "softhsm2.conf"),
      `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
    process.env.SOFTHSM2_CONF = path.join(tmp, "softhsm2.conf");
    execFileSync(
      "softhsm2-util",
      ["--init-token", "--free", "--label", opts.tokenLabel, "--so-pin", "12345678", "--pin", opts.pin],
      { stdio: "ignore" },
    );
  });
  afterAll(() => signers.forEach((s) => s.close()));

  it.each(["P-256", "RSA-2048"] as SignerAlgorithm[])(
    "signs with a %s key generated inside the token, verifiable with its public key",
    async (algorithm) => {
      const keyLabel = `ca-${algorithm}`;
      await Pkcs11Signer.generate({ ...opts, keyLabel, algorithm });
      const signer = await Pkcs11Signer.open({ ...opts, keyLabel });
      signers.push(signer);
      expect(signer.algorithm).toBe(algorithm);
      const data = Buffer.from("to be signed");
      const sig = await signer.sign(data);
      if (algorithm === "P-256") expect(sig[0]).toBe(0x30); // DER SEQUENCE{r,s}, converted from CKM_ECDSA's raw r||s
      expect(
        verify("sha256", data, createPublicKey({ key: signer.publicKeySpki, format: "der", type: "spki" }), sig),
      ).toBe(true);
    },
  );

  it("refuses a wrong PIN", async () => {
    await expect(Pkcs11Signer.open({ ...opts, pin: "00000000", keyLabel: "ca-P-256" })).rejects.toThrow(
      /PIN_INCORRECT/,
    );
  });

  it("runs an issuing CA whose key stays in the token (CA_SIGNER=pkcs11), certificates verified by openssl", async () => {
    await Pkcs11Signer.generate({ ...opts, keyLabel: "issuing", algorithm: "P-256" });
    const caDir = path.join(tmp, "ca");
    const config = parseConfig({
      ...(process.env as Record<string, string>),
      CA_SIGNER: "pkcs11",
      CA_DIR: caDir,
      PKCS11_MODULE: MODULE,
      PKCS11_TOKEN_LABEL: opts.tokenLabel,
      PKCS11_PIN: opts.pin,
      PKCS11_KEY_LABEL: "issuing",
    });
    const ca = await loadCa(config);
    signers.push(ca.signer as Pkcs11Signer);
    expect(existsSync(path.join(caDir, "issuing.key.pem"))).toBe(false);
    const holder = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    const { der } = await issueHolderCertificate({
      ca,
      subject: { C: "CN", CN: "hsm holder" },
      publicKey: holder,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      certType: "personal",
    });
    const f = writePem(tmp, { root: ca.rootCert, issuing: ca.issuingCert, leaf: der });
    expect(openssl(["verify", "-CAfile", f.root, "-untrusted", f.issuing, f.leaf])).toContain(": OK");
  });
});
