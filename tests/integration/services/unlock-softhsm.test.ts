import "@/tests/helpers/env";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "@/lib/dev/testing/clock";
import { getConfig, resetConfig } from "@/lib/config";
import type { OpenDb } from "@/lib/db";
import { formatChallenge } from "@/lib/token/challenge";
import { deriveSoPin } from "@/lib/token/so-pin";
import { Pkcs11Backend } from "@/agent/backends/pkcs11";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa } from "@/tests/helpers/pki";
import { holder } from "./fixture";
import { unlockThrough } from "./unlock-harness";
import { SOFTHSM_MODULE, provisionHolderToken, useSoftHsm } from "@/lib/dev/testing/softhsm";

/**
 * Online unlock against a real PKCS#11 token: SoftHSM2 with this test's own config and token directory. The token
 * is initialised like an enrolment station would, then its SO PIN set to the server-derived version 0.
 */

const MODULE = SOFTHSM_MODULE;
const NOW = new Date("2026-11-25T02:00:00.000Z");
const clock = fixedClock(NOW.toISOString());
const ACTOR = { type: "holder" as const, id: null, ip: "192.0.2.50", userAgent: "vitest" };
const ID = "0c0d";

let db: OpenDb;
let backend: Pkcs11Backend;
let work: string;
let tokenSerial: string;
let certificateId: string;
let der: Buffer;
let serial: string;

const soPin = (v: number) => deriveSoPin(getConfig().SO_PIN_MASTER_SECRET, tokenSerial, v);

function sign(pin: string) {
  const challenge = formatChallenge({
    origin: "http://127.0.0.1:9",
    purpose: "login",
    serial,
    nonce: Buffer.alloc(32, 9).toString("base64url"),
    issuedAt: NOW.toISOString(),
  });
  return backend.sign(tokenSerial, { certId: ID, pin, data: Buffer.from(challenge) });
}

beforeAll(async () => {
  process.env.TEST_CAPTCHA_BYPASS = "1";
  resetConfig();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "unlock-softhsm-"));
  useSoftHsm(work);

  db = await createTestDb();
  const { ca } = await createTestCa();
  const h = await holder(db.prisma, ca, NOW, 100);
  ({ der } = h);
  certificateId = h.row.id;
  serial = h.row.serial;

  tokenSerial = provisionHolderToken({
    work,
    label: "holder",
    soPin: "factory-so",
    key: h.key,
    certificate: der,
    id: ID,
  });
  expect(tokenSerial).toMatch(/^[0-9a-f]{16}$/);
  await db.prisma.certificate.update({ where: { id: certificateId }, data: { tokenSerial } });

  backend = new Pkcs11Backend({ modulePath: MODULE });
  // enrolment: the factory SO PIN becomes the server-derived one (version 0)
  await backend.unlock(tokenSerial, { soPin: "factory-so", newPin: "111111", newSoPin: soPin(0) });
});

afterAll(async () => {
  await backend?.close();
  await db?.close();
});

describe("online PIN unlock on SoftHSM2", () => {
  it("sets the new PIN with C_InitPIN and rotates the SO PIN with C_SetPIN to the next derived version", async () => {
    await expect(sign("999999")).rejects.toMatchObject({ code: "PIN_INCORRECT_UNCOUNTED" });
    const out = await unlockThrough(backend, db.prisma, {
      der,
      certificateId,
      tokenSerial,
      newPin: "86421357",
      clock,
      actor: ACTOR,
    });
    expect(out.soPinVersion).toBe(1);
    await expect(sign("86421357")).resolves.toMatchObject({ algorithm: "ECDSA-SHA256" });
    await expect(sign("111111")).rejects.toMatchObject({ code: "PIN_INCORRECT_UNCOUNTED" });
    await expect(
      backend.unlock(tokenSerial, { soPin: soPin(0), newPin: "111111", newSoPin: soPin(9) }),
    ).rejects.toMatchObject({ code: "SO_PIN_INCORRECT" });
  });

  it("a second unlock uses the rotated SO PIN (version 1) and moves to version 2", async () => {
    const out = await unlockThrough(backend, db.prisma, {
      der,
      certificateId,
      tokenSerial,
      newPin: "5555",
      clock,
      actor: ACTOR,
    });
    expect(out.soPinVersion).toBe(2);
    await expect(sign("5555")).resolves.toBeDefined();
    expect((await db.prisma.tokenRecord.findUniqueOrThrow({ where: { tokenSerial } })).soPinVersion).toBe(2);
  });
});
