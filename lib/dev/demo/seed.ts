import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Db } from "../../db";
import type { Config } from "../../config";
import { systemClock, DAY } from "../../clock";
import { ensureDevCa, loadCa } from "../../pki/ca";
import { revokeCertificate } from "../../pki/revoke";
import { ensureDefaultFeeTiers } from "../../fees/tiers";
import { registerCertificate } from "../../registry/register";
import { deriveSoPin } from "../../token/so-pin";
import { createVirtualToken, importKeyAndCertificate, tokenPath } from "../../token/virtual-store";
import { issueHolderCertificate } from "./certificates";
import { ensureDemoStaff } from "./staff";
import { DEMO_HOLDERS, DEMO_PIN, demoCreditCode, demoResidentId, notAfterFor, type DemoHolder } from "./holders";
import { withTx } from "../../audit";
import { generateSm2KeyPair } from "../../crypto/sm2";
import { sm2PrivateKeyObject } from "../../token/enveloped-key";
import { importEnvelopeToVirtualToken } from "../../token/virtual-dual";
import { seedEncryptionPair } from "./dual";
import { ensureDemoOrganisation } from "./organisation";

export interface DemoHolderEntry {
  key: string;
  serial: string;
  cn: string;
  tokenSerial: string;
  certType: string;
  payerClass: string;
  notAfter: string;
}

const SYSTEM = { type: "system" as const, id: "demo-seed" };

function keyPair(alg: DemoHolder["keyAlgorithm"]): KeyObject {
  if (alg === "SM2") return sm2PrivateKeyObject(generateSm2KeyPair().privateKey);
  return alg === "RSA-2048"
    ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
    : generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
}

async function seedHolder(
  db: Db,
  config: Config,
  holder: DemoHolder,
  index: number,
  start: Date,
): Promise<DemoHolderEntry> {
  const ca = await loadCa(config);
  const tokenSerial = `DZ${String(index + 1).padStart(6, "0")}`;
  const privateKey = keyPair(holder.keyAlgorithm);
  const notAfter = notAfterFor(holder, start);
  const org = holder.certType === "organisation";
  const idNumber = org ? demoCreditCode(index) : demoResidentId(index);
  const { der, info } = await issueHolderCertificate({
    ca,
    subject: {
      C: "CN",
      ST: "SD",
      L: "dezhou",
      OU: `${org ? "O" : "I"}${idNumber.slice(0, 6)}${String(index).padStart(4, "0")}`,
      CN: holder.cn,
    },
    publicKey: privateKey,
    notBefore: new Date(notAfter.getTime() - 365 * DAY),
    notAfter,
    certType: holder.certType,
  });
  const dual = await withTx(db, async (tx) => {
    const signing = await registerCertificate(tx, config, der, {
      holderName: holder.cn,
      holderIdType: org ? "uscc" : "resident_id",
      holderIdNumber: idNumber,
      email: `${holder.key}@demo.certrenew.local`,
      certType: holder.certType,
      payerClass: holder.payerClass,
      tokenSerial,
    });
    if (holder.revoked)
      await revokeCertificate(tx, {
        serial: info.serial,
        reason: "cessationOfOperation",
        clock: systemClock,
        actor: SYSTEM,
        ca,
      });
    return holder.keyAlgorithm === "SM2" ? seedEncryptionPair(tx, { config, ca, signing }) : null;
  });
  const tokensDir = path.join(config.dataDir, "tokens");
  const token = createVirtualToken({
    dir: tokensDir,
    label: `${holder.cn}`,
    serial: tokenSerial,
    pin: DEMO_PIN,
    soPin: deriveSoPin(config.SO_PIN_MASTER_SECRET, tokenSerial, 0),
  });
  const id = info.spkiSha256.slice(0, 16);
  importKeyAndCertificate(token, { privateKey, certificateDer: der, id });
  if (dual)
    importEnvelopeToVirtualToken(token, {
      id,
      signingKey: privateKey,
      envelope: dual.envelope,
      certificateDer: Buffer.from(dual.certificate.der),
    });
  return {
    key: holder.key,
    serial: info.serial,
    cn: holder.cn,
    tokenSerial,
    certType: holder.certType,
    payerClass: holder.payerClass,
    notAfter: notAfter.toISOString(),
  };
}

/**
 * Demo data for `npm start`: development CA, fee tiers, demo holders for every case on their own virtual
 * tokens (PIN 111111), demo staff. Idempotent: what exists is kept, so a second start adds nothing.
 * Returns the lines to print.
 */
export async function seedDemo(db: Db, config: Config): Promise<string[]> {
  const notes: string[] = [];
  if (config.CA_SIGNER === "file") {
    const { created } = await ensureDevCa(config.caDir, {
      algorithm: config.CA_KEY_ALGORITHM,
      passphrase: config.CA_KEY_PASSPHRASE!,
    });
    if (created) notes.push(`Created a development CA in ${config.caDir}`);
  }
  await ensureDefaultFeeTiers(db, systemClock);

  const manifestFile = path.join(config.dataDir, "demo-holders.json");
  const manifest: DemoHolderEntry[] = existsSync(manifestFile)
    ? (JSON.parse(readFileSync(manifestFile, "utf8")) as DemoHolderEntry[])
    : [];
  const start = manifest.length
    ? new Date(Date.parse(manifest[0].notAfter) - DEMO_HOLDERS.find((h) => h.key === manifest[0].key)!.daysLeft * DAY)
    : systemClock.now();
  let added = 0;
  for (const [i, holder] of DEMO_HOLDERS.entries()) {
    if (manifest.some((m) => m.key === holder.key)) continue;
    const tokenSerial = `DZ${String(i + 1).padStart(6, "0")}`;
    // a start interrupted after the certificate was registered: keep what is there, never duplicate
    if (
      existsSync(tokenPath(path.join(config.dataDir, "tokens"), tokenSerial)) &&
      (await db.certificate.count({ where: { tokenSerial } })) > 0
    )
      continue;
    manifest.push(await seedHolder(db, config, holder, i, start));
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
    added++;
  }
  if (added) notes.push(`Created ${added} demo holders on virtual tokens (PIN ${DEMO_PIN}); list: ${manifestFile}`);
  const orgNote = await ensureDemoOrganisation(db, manifest);
  if (orgNote) notes.push(orgNote);
  const demoStaff = await ensureDemoStaff(db, systemClock, config.dataDir);
  notes.push(
    `Demo staff (sign in at /staff/login): ${demoStaff.map((s) => `${s.role} ${s.username} / ${s.password}`).join("; ")}`,
  );
  notes.push(
    `Demo holders: ${manifest
      .filter((m) => !m.key.match(/_[2-9]$/))
      .map((m) => `${m.key} ${m.cn}`)
      .join("; ")}`,
  );
  return notes;
}
