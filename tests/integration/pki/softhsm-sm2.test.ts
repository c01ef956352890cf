import "@/tests/helpers/env";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSm2Spki } from "@/lib/crypto/sm2";
import { Pkcs11Signer } from "@/lib/pki/signer";

/*
 * SoftHSM2 stores an EC key on the SM2 curve (its OpenSSL backend knows the curve) but has no SM2 signing mechanism,
 * as no PKCS#11 standard mechanism exists: vendors define their own. So this checks the configuration path as far
 * as it goes without a vendor HSM: the key is recognised as SM2, refused without CA_PKCS11_SM2_MECHANISM, and with
 * a (vendor-defined) mechanism id the signer opens and hands that id to C_SignInit, which SoftHSM2 refuses.
 */
const MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const hasSoftHsm = existsSync(MODULE);

describe.skipIf(!hasSoftHsm)("Pkcs11Signer with an SM2 key on SoftHSM2 (configuration path only)", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "softhsm-sm2-"));
  const opts = { module: MODULE, tokenLabel: "certrenew-sm2", pin: "87654321", keyLabel: "issuing-sm2" };
  let generated = true;
  const signers: Pkcs11Signer[] = [];

  beforeAll(async () => {
    mkdirSync(path.join(tmp, "tokens"));
    writeFileSync(
      path.join(tmp, "softhsm2.conf"),
      `directories.tokendir = ${path.join(tmp, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
    process.env.SOFTHSM2_CONF = path.join(tmp, "softhsm2.conf");
    execFileSync(
      "softhsm2-util",
      ["--init-token", "--free", "--label", opts.tokenLabel, "--so-pin", "12345678", "--pin", opts.pin],
      { stdio: "ignore" },
    );
    try {
      await Pkcs11Signer.generate({ ...opts, algorithm: "SM2" });
    } catch {
      generated = false;
    }
  });
  afterAll(() => signers.forEach((s) => s.close()));

  it("generates an EC key pair on the SM2 curve inside the token", () => {
    expect(generated).toBe(true);
  });

  it("refuses to open the SM2 key without CA_PKCS11_SM2_MECHANISM", async () => {
    await expect(Pkcs11Signer.open(opts)).rejects.toThrow(/CA_PKCS11_SM2_MECHANISM/);
  });

  it("opens it with a vendor mechanism id (an SM2 SPKI, algorithm SM2) and passes that id to the token", async () => {
    const signer = await Pkcs11Signer.open({ ...opts, sm2Mechanism: 0x80000001, sm2Input: "digest" });
    signers.push(signer);
    expect(signer.algorithm).toBe("SM2");
    expect(isSm2Spki(signer.publicKeySpki)).toBe(true);
    await expect(signer.sign(Buffer.from("tbs"))).rejects.toThrow(/MECHANISM_INVALID/);
  });
});
