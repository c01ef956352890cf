import "@/tests/helpers/env";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { withTx } from "@/lib/audit";
import { ConfigError, parseConfig } from "@/lib/config";
import { generateSm2KeyPair, sm2PublicKeyOf, sm2SpkiEncode } from "@/lib/crypto/sm2";
import type { Db, OpenDb } from "@/lib/db";
import { ESCROW_FORMAT } from "@/lib/kmc/escrow";
import { HsmMasterKey } from "@/lib/kmc/hsm";
import { closeKmcHsm, createEncryptionKey, envelopeFor, kmcFromConfig } from "@/lib/kmc/keys";
import { openEnvelope } from "@/lib/token/enveloped-key";
import { createTestDb } from "@/tests/helpers/db";

/**
 * The KMC master key inside a real SoftHSM2 token (KMC_MASTER_KEY_PKCS11): an AES-256 key made in the token wraps
 * each escrow's data key (CKM_AES_KEY_WRAP_PAD); escrow → envelope → the holder's key opens the very key pair escrowed.
 * Rows escrowed under KMC_MASTER_KEY keep opening; an HSM row is useless without that HSM key; a wrong PIN is named.
 */

const MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const hasSoftHsm = existsSync(MODULE);
if (!hasSoftHsm) console.warn(`SKIPPED: KMC HSM tests need ${MODULE} (apt-get install -y softhsm2)`);

const PIN = "24681357";
const TOKEN = "certrenew-kmc";
const OTHER = "certrenew-kmc-other";
const KEY_LABEL = "kmc-master";
const SM4_MASTER = "00112233445566778899aabbccddeeff";

describe.skipIf(!hasSoftHsm)("KMC master key in PKCS#11 (SoftHSM2)", () => {
  let opened: OpenDb;
  let db: Db;
  const hsmConfig = (token: string, pin = PIN, extra: { KMC_MASTER_KEY?: string } = {}) => ({
    KMC_MASTER_KEY: extra.KMC_MASTER_KEY,
    KMC_MASTER_KEY_PKCS11: {
      module: MODULE,
      tokenLabel: token,
      keyLabel: KEY_LABEL,
      mechanism: undefined,
      dataKeyType: undefined,
    },
    KMC_MASTER_KEY_PKCS11_PIN: pin,
  });

  beforeAll(async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "kmc-softhsm-"));
    mkdirSync(path.join(tmp, "tokens"));
    writeFileSync(
      path.join(tmp, "softhsm2.conf"),
      `directories.tokendir = ${path.join(tmp, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
    process.env.SOFTHSM2_CONF = path.join(tmp, "softhsm2.conf");
    for (const label of [TOKEN, OTHER]) {
      execFileSync(
        "softhsm2-util",
        ["--init-token", "--free", "--label", label, "--so-pin", "13572468", "--pin", PIN],
        {
          stdio: "ignore",
        },
      );
      // same label, different key: a copy of the database on another HSM opens nothing
      await HsmMasterKey.generateAes({ module: MODULE, tokenLabel: label, pin: PIN, keyLabel: KEY_LABEL });
    }
    opened = await createTestDb();
    db = opened.prisma as Db;
  });
  afterAll(async () => {
    await closeKmcHsm();
    await opened?.close();
  });

  const escrow = (kmc: ReturnType<typeof kmcFromConfig>) =>
    withTx(db, (tx) => createEncryptionKey(tx, kmc!, { orderId: "hsm-test" }));

  async function expectEnvelopeOpens(kmc: ReturnType<typeof kmcFromConfig>, key: Awaited<ReturnType<typeof escrow>>) {
    const holder = generateSm2KeyPair();
    const envelope = await envelopeFor(kmc!, key, sm2SpkiEncode(holder.publicKey));
    const { d } = openEnvelope(envelope, holder.privateKey);
    expect(sm2SpkiEncode(sm2PublicKeyOf(d)).equals(Buffer.from(key.spki))).toBe(true);
  }

  it("escrows under the HSM's key (the format names the mechanism) and recovers the very key pair", async () => {
    const kmc = kmcFromConfig(hsmConfig(TOKEN));
    const key = await escrow(kmc);
    expect(key.escrowAlg).toBe("PKCS11-WRAP(0x210a)+SM4-CBC/HMAC-SM3:v1");
    // length ‖ RFC 5649 wrap of a 16-byte data key (24 bytes) ‖ IV ‖ SM4-CBC(d) ‖ HMAC-SM3
    expect(key.escrowed).toHaveLength(2 + 24 + 16 + 48 + 32);
    await expectEnvelopeOpens(kmc, key);
  });

  it("a second copy of this code in the process (the front's, beside Next's) shares the token's initialised module", async () => {
    // the first copy holds the module initialised and its session logged in
    const key = await escrow(kmcFromConfig(hsmConfig(TOKEN)));
    vi.resetModules();
    const again = await import("@/lib/kmc/keys");
    try {
      const holder = generateSm2KeyPair();
      const envelope = await again.envelopeFor(
        again.kmcFromConfig(hsmConfig(TOKEN))!,
        key,
        sm2SpkiEncode(holder.publicKey),
      );
      const { d } = openEnvelope(envelope, holder.privateKey);
      expect(sm2SpkiEncode(sm2PublicKeyOf(d)).equals(Buffer.from(key.spki))).toBe(true);
    } finally {
      await again.closeKmcHsm();
    }
    // the second copy's close leaves the first one's session working
    await expectEnvelopeOpens(kmcFromConfig(hsmConfig(TOKEN)), key);
  });

  it("keeps opening rows escrowed under KMC_MASTER_KEY, and seals new ones in the HSM", async () => {
    const old = await escrow(kmcFromConfig({ KMC_MASTER_KEY: SM4_MASTER }));
    expect(old.escrowAlg).toBe(ESCROW_FORMAT);
    const both = kmcFromConfig(hsmConfig(TOKEN, PIN, { KMC_MASTER_KEY: SM4_MASTER }));
    await expectEnvelopeOpens(both, old);
    const fresh = await escrow(both);
    expect(fresh.escrowAlg).toMatch(/^PKCS11-WRAP/);
    await expectEnvelopeOpens(both, fresh);
    // without KMC_MASTER_KEY the old row cannot open: said, not guessed
    await expect(
      envelopeFor(kmcFromConfig(hsmConfig(TOKEN))!, old, sm2SpkiEncode(generateSm2KeyPair().publicKey)),
    ).rejects.toMatchObject({ code: "KMC_NOT_CONFIGURED" });
  });

  it("an HSM-escrowed row is useless without that HSM key: another HSM's key, no HSM, or a changed byte", async () => {
    const key = await escrow(kmcFromConfig(hsmConfig(TOKEN)));
    const recipient = sm2SpkiEncode(generateSm2KeyPair().publicKey);
    await expect(envelopeFor(kmcFromConfig(hsmConfig(OTHER))!, key, recipient)).rejects.toThrow(
      /does not unwrap under the KMC master key in the HSM|does not verify/,
    );
    await expect(envelopeFor(kmcFromConfig({ KMC_MASTER_KEY: SM4_MASTER })!, key, recipient)).rejects.toMatchObject({
      code: "KMC_NOT_CONFIGURED",
    });
    for (const offset of [5, 2 + 24 + 3, key.escrowed.length - 1]) {
      const tampered = Buffer.from(key.escrowed);
      tampered[offset] ^= 1;
      await expect(
        envelopeFor(kmcFromConfig(hsmConfig(TOKEN))!, { ...key, escrowed: tampered }, recipient),
      ).rejects.toThrow(/does not unwrap|does not verify/);
    }
  });

  it("a wrong PIN is named for the operator; the holder hears that the service is not available", async () => {
    await expect(
      HsmMasterKey.open({
        module: MODULE,
        tokenLabel: OTHER,
        pin: "00000000",
        keyLabel: KEY_LABEL,
        mechanism: 0x210a,
        dataKeyType: 0x1f,
      }),
    ).rejects.toThrow(/refused the PIN of token "certrenew-kmc-other" \(KMC_MASTER_KEY_PKCS11_PIN\).*PIN_INCORRECT/);
    await expect(
      HsmMasterKey.open({
        module: MODULE,
        tokenLabel: TOKEN,
        pin: PIN,
        keyLabel: "nope",
        mechanism: 0x210a,
        dataKeyType: 0x1f,
      }),
    ).rejects.toThrow(/no secret key labelled "nope"/);
    await expect(escrow(kmcFromConfig(hsmConfig("no-such-token", "11111111")))).rejects.toMatchObject({
      code: "KMC_NOT_CONFIGURED",
    });
  });

  it("reads KMC_MASTER_KEY_PKCS11 from the environment and refuses it without its PIN or with a bad spec", () => {
    const base = { ...process.env, KMC_MASTER_KEY_PKCS11: undefined, KMC_MASTER_KEY_PKCS11_PIN: undefined };
    const spec = `module=${MODULE};token=${TOKEN};key=${KEY_LABEL};mechanism=0x2109`;
    const c = parseConfig({ ...base, KMC_MASTER_KEY_PKCS11: spec, KMC_MASTER_KEY_PKCS11_PIN: PIN });
    expect(c.KMC_MASTER_KEY_PKCS11).toEqual({
      module: MODULE,
      tokenLabel: TOKEN,
      keyLabel: KEY_LABEL,
      mechanism: 0x2109,
      dataKeyType: undefined,
    });
    expect(() => parseConfig({ ...base, KMC_MASTER_KEY_PKCS11: spec })).toThrow(/KMC_MASTER_KEY_PKCS11_PIN is missing/);
    expect(() =>
      parseConfig({ ...base, KMC_MASTER_KEY_PKCS11: "module=/x.so;token=t", KMC_MASTER_KEY_PKCS11_PIN: PIN }),
    ).toThrow(ConfigError);
  });
});
