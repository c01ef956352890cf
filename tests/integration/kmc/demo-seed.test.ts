import "@/tests/helpers/env";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { getConfig, resetConfig } from "@/lib/config";
import { sm2Pkcs8Decode, sm2SpkiDecode } from "@/lib/crypto/sm2";
import type { Db, OpenDb } from "@/lib/db";
import { seedDemo, type DemoHolderEntry } from "@/lib/dev/demo/seed";
import { parseCertificate } from "@/lib/pki/x509";
import { DEMO_PIN } from "@/lib/dev/demo/holders";
import { openPrivateKey, unwrapMasterKey, type VirtualTokenFile } from "@/lib/token/virtual-store";
import { createTestDb } from "@/tests/helpers/db";

/**
 * The demo's SM2 dual-certificate holders: each virtual token holds the SM2 signing key and certificate and, in the
 * same container, the KMC's encryption key pair (imported from its envelope) with the encryption certificate the
 * registry pairs with the signing one.
 */

let opened: OpenDb;
let db: Db;
const dataDir = mkdtempSync(path.join(os.tmpdir(), "kmc-demo-"));

beforeAll(async () => {
  process.env.DATA_DIR = dataDir;
  process.env.CA_DIR = path.join(dataDir, "ca");
  resetConfig();
  opened = await createTestDb();
  db = opened.prisma as Db;
  await seedDemo(db, getConfig());
}, 240_000);
afterAll(async () => {
  delete process.env.DATA_DIR;
  delete process.env.CA_DIR;
  resetConfig();
  await opened?.close();
});

it("seeds SM2 holders (self-paying and unified) with dual certificates on their virtual tokens", async () => {
  const manifest = JSON.parse(readFileSync(path.join(dataDir, "demo-holders.json"), "utf8")) as DemoHolderEntry[];
  const sm2 = manifest.filter((m) => m.key.startsWith("sm2_"));
  expect(sm2.map((m) => `${m.key} ${m.payerClass}`)).toEqual([
    "sm2_self_1 self",
    "sm2_self_2 self",
    "sm2_unified_1 unified",
    "sm2_unified_2 unified",
  ]);
  for (const m of sm2) {
    const signing = await db.certificate.findUniqueOrThrow({
      where: { serial: m.serial },
      include: { encryptionCertificate: { include: { kmcKey: true } } },
    });
    const enc = signing.encryptionCertificate!;
    expect(enc.usage).toBe("encryption");
    expect(enc.kmcKey).not.toBeNull();

    const file = JSON.parse(
      readFileSync(path.join(dataDir, "tokens", `${m.tokenSerial}.json`), "utf8"),
    ) as VirtualTokenFile;
    expect(file.certificates).toHaveLength(1);
    const key = file.keys[0];
    expect(key.family).toEqual({ type: "sm2" });
    expect(Buffer.from(key.encryption!.certificate, "base64").equals(Buffer.from(enc.der))).toBe(true);
    // the token's encryption private key belongs to the encryption certificate's public key
    const masterKey = unwrapMasterKey(file.userWrap, DEMO_PIN, "user", file.serial)!;
    const pk = openPrivateKey(masterKey, file.serial, { id: `${key.id}/enc`, sealed: key.encryption!.sealed });
    const pair = sm2Pkcs8Decode(pk.export({ type: "pkcs8", format: "der" }));
    expect(pair.publicKey.equals(sm2SpkiDecode(parseCertificate(Buffer.from(enc.der)).spki))).toBe(true);
  }
});
