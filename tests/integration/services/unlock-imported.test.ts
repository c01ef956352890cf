import "@/tests/helpers/env";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { getConfig, resetConfig } from "@/lib/config";
import type { OpenDb } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { issueHolderCertificate } from "@/lib/dev/demo/certificates";
import { importCertificates, rowsFromCsv, sealAdminPin } from "@/lib/registry/import";
import { deriveSoPin } from "@/lib/token/so-pin";
import { VirtualBackend } from "@/agent/backends/virtual";
import { createVirtualToken, importKeyAndCertificate } from "@/lib/token/virtual-store";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa } from "@/tests/helpers/pki";
import { derToPem } from "@/tests/helpers/pem";
import { HOLDER_ID } from "./fixture";
import { start, unlockThrough } from "./unlock-harness";

/**
 * RA mode's keys already in the field: their admin (SO) PIN was set by the operator's previous system. certs:import
 * takes it from the operator's export (sealed per token with the import PIN key), so online unlock works for
 * them; a token whose PIN the export lacks is told to come in person.
 */

const NOW = "2026-11-25T02:00:00.000Z";
const clock = fixedClock(NOW);
const actor = { type: "holder" as const, id: null, ip: "198.51.100.77", userAgent: "vitest" };
const OPERATOR_PIN = "Op-Admin-7731";
let db: OpenDb;
let ca: Ca;
const dir = mkdtempSync(path.join(os.tmpdir(), "import-pins-"));
const pinKeyHex = randomBytes(32).toString("hex");
const holders: { der: Buffer; key: ReturnType<typeof generateKeyPairSync>["privateKey"]; token: string }[] = [];

beforeAll(async () => {
  process.env.TEST_CAPTCHA_BYPASS = "1";
  resetConfig();
  db = await createTestDb();
  ({ ca } = await createTestCa());
  const lines = [
    "cert_file,holder_name,holder_id_type,holder_id_number,cert_type,payer_class,email,token_serial,admin_pin_enc",
  ];
  for (const [i, token] of ["OPA00001", "OPA00002"].entries()) {
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const notAfter = new Date(new Date(NOW).getTime() + 100 * DAY);
    const { der } = await issueHolderCertificate({
      ca,
      subject: { C: "CN", CN: `导入证书${i}` },
      publicKey: key,
      notBefore: new Date(notAfter.getTime() - 365 * DAY),
      notAfter,
      certType: "personal",
    });
    writeFileSync(path.join(dir, `${token}.pem`), derToPem(der));
    const sealed = i === 0 ? sealAdminPin(OPERATOR_PIN, token, pinKeyHex) : "";
    lines.push(`${token}.pem,导入证书${i},resident_id,${HOLDER_ID},personal,self,h${i}@example.cn,${token},${sealed}`);
    holders.push({ der, key, token });
  }
  writeFileSync(path.join(dir, "export.csv"), lines.join("\n") + "\n");
});
afterAll(async () => db?.close());

describe("certs:import with the operator's admin PINs", () => {
  it("refuses the whole file when the PIN key does not open a sealed PIN", async () => {
    const input = rowsFromCsv(path.join(dir, "export.csv"), { pinKeyHex: randomBytes(32).toString("hex") });
    expect(input.problems.map((p) => p.message).join()).toMatch(/admin_pin_enc does not open/);
    await expect(importCertificates(db.prisma, getConfig(), input)).rejects.toMatchObject({
      code: "CERT_IMPORT_INVALID",
    });
    expect(await db.prisma.certificate.count()).toBe(0);
  });

  it("stores the PIN sealed with the field key, never in clear", async () => {
    const input = rowsFromCsv(path.join(dir, "export.csv"), { pinKeyHex });
    expect(input.problems).toEqual([]);
    expect(await importCertificates(db.prisma, getConfig(), input)).toBe(2);
    const records = await db.prisma.tokenRecord.findMany({ orderBy: { tokenSerial: "asc" } });
    expect(records.map((r) => [r.tokenSerial, Boolean(r.adminPinEnc), r.adminPinUnknown])).toEqual([
      ["OPA00001", true, false],
      ["OPA00002", false, true],
    ]);
    expect(records[0].adminPinEnc).not.toContain(OPERATOR_PIN);
  });

  it("unlocks a key whose admin PIN came with the export, and rotates it to the portal's scheme", async () => {
    const h = holders[0];
    const tokens = mkdtempSync(path.join(os.tmpdir(), "import-tokens-"));
    const token = createVirtualToken({ dir: tokens, label: "t", serial: h.token, pin: "111111", soPin: OPERATOR_PIN });
    importKeyAndCertificate(token, { privateKey: h.key, certificateDer: h.der, id: "0a0b" });
    const row = await db.prisma.certificate.findFirstOrThrow({ where: { tokenSerial: h.token } });
    await unlockThrough(new VirtualBackend({ dir: tokens }), db.prisma, {
      der: h.der,
      certificateId: row.id,
      tokenSerial: h.token,
      newPin: "246810",
      clock,
      actor,
    });
    const record = await db.prisma.tokenRecord.findUniqueOrThrow({ where: { tokenSerial: h.token } });
    expect(record.soPinVersion).toBe(1);
    // the next unlock uses the derived PIN of version 1, which the token now holds
    expect(deriveSoPin(getConfig().SO_PIN_MASTER_SECRET, h.token, 1)).not.toBe(OPERATOR_PIN);
  });

  it("a key whose admin PIN the export lacks: unlock says in person, nothing is sent", async () => {
    const h = holders[1];
    await expect(start(db.prisma, { der: h.der, tokenSerial: h.token, clock, actor })).rejects.toMatchObject({
      code: "UNLOCK_IN_PERSON",
    });
    const row = await db.prisma.certificate.findFirstOrThrow({ where: { tokenSerial: h.token } });
    expect(await db.prisma.mailOutbox.count({ where: { certificateId: row.id } })).toBe(0);
  });
});
