import "@/tests/helpers/env";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MINUTE, type Clock } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { getConfig, resetConfig } from "@/lib/config";
import type { OpenDb } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { createCaptcha } from "@/lib/captcha";
import { confirmUnlock, releaseSoPin, UNLOCK_MAX_CODE_ATTEMPTS } from "@/lib/services/unlock";
import { deriveSoPin } from "@/lib/token/so-pin";
import { formatChallenge } from "@/lib/token/challenge";
import { VirtualBackend } from "@/agent/backends/virtual";
import { createVirtualToken, importKeyAndCertificate } from "@/lib/token/virtual-store";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa } from "@/tests/helpers/pki";
import { holder } from "./fixture";
import { mailedCode, start, unlockThrough } from "./unlock-harness";

const NOW = new Date("2026-11-25T02:00:00.000Z");
const clock = fixedClock(NOW.toISOString());
const later = (minutes: number): Clock => fixedClock(new Date(NOW.getTime() + minutes * MINUTE).toISOString());
let db: OpenDb;
let ca: Ca;
let dir: string;
let backend: VirtualBackend;
let n = 0;

beforeAll(async () => {
  process.env.TEST_CAPTCHA_BYPASS = "1";
  resetConfig();
  db = await createTestDb();
  ({ ca } = await createTestCa());
  dir = mkdtempSync(path.join(os.tmpdir(), "unlock-tokens-"));
  backend = new VirtualBackend({ dir });
});
afterAll(async () => db?.close());

/** A holder whose certificate sits on its own virtual token, provisioned with SO PIN version 0 like the demo seed. */
async function holderOnToken() {
  n += 1;
  const tokenSerial = `UT${String(n).padStart(6, "0")}`;
  const { row, der, key } = await holder(db.prisma, ca, NOW, 100);
  await db.prisma.certificate.update({ where: { id: row.id }, data: { tokenSerial } });
  const token = createVirtualToken({
    dir,
    label: "t",
    serial: tokenSerial,
    pin: "111111",
    soPin: deriveSoPin(getConfig().SO_PIN_MASTER_SECRET, tokenSerial, 0),
  });
  importKeyAndCertificate(token, { privateKey: key, certificateDer: der, id: "0a0b" });
  const actor = { type: "holder" as const, id: null, ip: `198.51.100.${n}`, userAgent: "vitest" };
  return { row, der, tokenSerial, actor };
}

function signWith(tokenSerial: string, serial: string, pin: string) {
  const challenge = formatChallenge({
    origin: "http://127.0.0.1:9",
    purpose: "login",
    serial,
    nonce: Buffer.alloc(32, 7).toString("base64url"),
    issuedAt: NOW.toISOString(),
  });
  return backend.sign(tokenSerial, { certId: "0a0b", pin, data: Buffer.from(challenge) });
}

async function lock(tokenSerial: string, serial: string) {
  for (let i = 0; i < 6; i++) await signWith(tokenSerial, serial, "000000").catch(() => undefined);
  await expect(signWith(tokenSerial, serial, "111111")).rejects.toMatchObject({ code: "PIN_LOCKED" });
}

const version = async (tokenSerial: string) =>
  (await db.prisma.tokenRecord.findUnique({ where: { tokenSerial } }))?.soPinVersion ?? 0;

describe("online PIN unlock on a virtual token", () => {
  it("unlocks a locked key: new PIN works, SO PIN rotated to version 1, every step audited", async () => {
    const h = await holderOnToken();
    await lock(h.tokenSerial, h.row.serial);
    await unlockThrough(backend, db.prisma, {
      der: h.der,
      certificateId: h.row.id,
      tokenSerial: h.tokenSerial,
      newPin: "2468ab",
      clock,
      actor: h.actor,
    });
    await expect(signWith(h.tokenSerial, h.row.serial, "2468ab")).resolves.toMatchObject({ algorithm: "ECDSA-SHA256" });
    expect(await version(h.tokenSerial)).toBe(1);
    // the old SO PIN no longer opens the key; the next unlock uses version 1 and works
    await expect(
      backend.unlock(h.tokenSerial, {
        soPin: deriveSoPin(getConfig().SO_PIN_MASTER_SECRET, h.tokenSerial, 0),
        newPin: "x1x1x1",
        newSoPin: "1",
      }),
    ).rejects.toMatchObject({ code: "SO_PIN_INCORRECT" });
    await unlockThrough(backend, db.prisma, {
      der: h.der,
      certificateId: h.row.id,
      tokenSerial: h.tokenSerial,
      newPin: "13579",
      clock,
      actor: h.actor,
    });
    expect(await version(h.tokenSerial)).toBe(2);
    const actions = (
      await db.prisma.auditEvent.findMany({ where: { targetId: h.row.id }, orderBy: { seq: "asc" } })
    ).map((e) => e.action);
    expect(actions).toEqual([
      "unlock.code_sent",
      "unlock.so_pin_released",
      "unlock.completed",
      "unlock.code_sent",
      "unlock.so_pin_released",
      "unlock.completed",
    ]);
    const everything = JSON.stringify(await db.prisma.auditEvent.findMany({ where: { targetId: h.row.id } }));
    expect(everything).not.toContain(deriveSoPin(getConfig().SO_PIN_MASTER_SECRET, h.tokenSerial, 1));
  });

  it("refuses a wrong ID number: no code sent, nothing released", async () => {
    const h = await holderOnToken();
    await expect(start(db.prisma, { ...h, idNumber: "370101199001019999", clock })).rejects.toMatchObject({
      code: "UNLOCK_IDENTITY_MISMATCH",
    });
    expect(await db.prisma.unlockRequest.count({ where: { certificateId: h.row.id } })).toBe(0);
    expect(await db.prisma.mailOutbox.count({ where: { certificateId: h.row.id } })).toBe(0);
    expect(await db.prisma.auditEvent.count({ where: { targetId: h.row.id, action: "unlock.id_mismatch" } })).toBe(1);
  });

  it("refuses a wrong captcha answer before looking at the ID number", async () => {
    const h = await holderOnToken();
    const captcha = await createCaptcha(db.prisma, clock, "t", getConfig());
    await expect(start(db.prisma, { ...h, clock, captchaId: captcha.id, captchaAnswer: "nope" })).rejects.toMatchObject(
      { code: "CAPTCHA_INVALID" },
    );
    expect(await db.prisma.unlockRequest.count({ where: { certificateId: h.row.id } })).toBe(0);
  });

  it("refuses a certificate presented with another key's serial", async () => {
    const h = await holderOnToken();
    await expect(start(db.prisma, { ...h, tokenSerial: "UT999999", clock })).rejects.toMatchObject({
      code: "UNLOCK_IDENTITY_MISMATCH",
    });
  });

  it("refuses an expired code and releases nothing", async () => {
    const h = await holderOnToken();
    const { requestId } = await start(db.prisma, { ...h, clock });
    const code = await mailedCode(db.prisma, h.row.id);
    await expect(
      releaseSoPin(db.prisma, { requestId, code }, { clock: later(11), actor: h.actor, config: getConfig() }),
    ).rejects.toMatchObject({ code: "UNLOCK_CODE_EXPIRED" });
    expect((await db.prisma.unlockRequest.findUniqueOrThrow({ where: { id: requestId } })).verifiedAt).toBeNull();
    expect(await version(h.tokenSerial)).toBe(0);
  });

  it("refuses a code used once already", async () => {
    const h = await holderOnToken();
    const { requestId } = await start(db.prisma, { ...h, clock });
    const code = await mailedCode(db.prisma, h.row.id);
    await releaseSoPin(db.prisma, { requestId, code }, { clock, actor: h.actor, config: getConfig() });
    await expect(
      releaseSoPin(db.prisma, { requestId, code }, { clock, actor: h.actor, config: getConfig() }),
    ).rejects.toMatchObject({
      code: "UNLOCK_CODE_USED",
    });
  });

  it("ends a request after five wrong codes: then even the right code is refused", async () => {
    const h = await holderOnToken();
    const { requestId } = await start(db.prisma, { ...h, clock });
    const code = await mailedCode(db.prisma, h.row.id);
    const wrong = code === "000000" ? "000001" : "000000";
    for (let i = 1; i < UNLOCK_MAX_CODE_ATTEMPTS; i++) {
      await expect(
        releaseSoPin(db.prisma, { requestId, code: wrong }, { clock, actor: h.actor, config: getConfig() }),
      ).rejects.toMatchObject({ code: "UNLOCK_CODE_INVALID", details: { attemptsLeft: UNLOCK_MAX_CODE_ATTEMPTS - i } });
    }
    await expect(
      releaseSoPin(db.prisma, { requestId, code: wrong }, { clock, actor: h.actor, config: getConfig() }),
    ).rejects.toMatchObject({
      code: "UNLOCK_TOO_MANY_ATTEMPTS",
    });
    await expect(
      releaseSoPin(db.prisma, { requestId, code }, { clock, actor: h.actor, config: getConfig() }),
    ).rejects.toMatchObject({
      code: "UNLOCK_TOO_MANY_ATTEMPTS",
    });
    expect((await db.prisma.unlockRequest.findUniqueOrThrow({ where: { id: requestId } })).verifiedAt).toBeNull();
  });

  it("pauses a certificate after five identity checks in an hour", async () => {
    const h = await holderOnToken();
    for (let i = 0; i < 5; i++) await start(db.prisma, { ...h, clock });
    await expect(start(db.prisma, { ...h, clock })).rejects.toMatchObject({ code: "UNLOCK_TOO_MANY_ATTEMPTS" });
    await expect(start(db.prisma, { ...h, clock: later(61) })).resolves.toMatchObject({
      sentTo: ["h****r@example.cn"],
    });
  });

  it("keeps only the newest code: an earlier one stops working", async () => {
    const h = await holderOnToken();
    const first = await start(db.prisma, { ...h, clock });
    const firstCode = await mailedCode(db.prisma, h.row.id);
    await start(db.prisma, { ...h, clock });
    await expect(
      releaseSoPin(
        db.prisma,
        { requestId: first.requestId, code: firstCode },
        { clock, actor: h.actor, config: getConfig() },
      ),
    ).rejects.toMatchObject({ code: "UNLOCK_CODE_EXPIRED" });
  });

  it("recovers from an unconfirmed rotation: the next unlock offers the next version too and confirms two steps", async () => {
    const h = await holderOnToken();
    const a = await start(db.prisma, { ...h, clock });
    const aCode = await mailedCode(db.prisma, h.row.id);
    const pins = await releaseSoPin(
      db.prisma,
      { requestId: a.requestId, code: aCode },
      { clock, actor: h.actor, config: getConfig() },
    );
    await backend.unlock(h.tokenSerial, { soPin: pins.soPin, newPin: "111222", newSoPin: pins.newSoPin });
    // the page closed before confirming: the server still says version 0, the key is at version 1

    const b = await start(db.prisma, { ...h, clock });
    const bCode = await mailedCode(db.prisma, h.row.id);
    const again = await releaseSoPin(
      db.prisma,
      { requestId: b.requestId, code: bCode },
      { clock, actor: h.actor, config: getConfig() },
    );
    expect(again.alternative).toBeDefined();
    await expect(
      backend.unlock(h.tokenSerial, { soPin: again.soPin, newPin: "333444", newSoPin: again.newSoPin }),
    ).rejects.toMatchObject({ code: "SO_PIN_INCORRECT" });
    await backend.unlock(h.tokenSerial, {
      soPin: again.alternative!.soPin,
      newPin: "333444",
      newSoPin: again.alternative!.newSoPin,
    });
    await confirmUnlock(
      db.prisma,
      { requestId: b.requestId, code: bCode, usedAlternative: true },
      { clock, actor: h.actor, config: getConfig() },
    );
    expect(await version(h.tokenSerial)).toBe(2);
    await expect(signWith(h.tokenSerial, h.row.serial, "333444")).resolves.toBeDefined();
  });

  it("refuses to confirm with a wrong code or before the release", async () => {
    const h = await holderOnToken();
    const { requestId } = await start(db.prisma, { ...h, clock });
    const code = await mailedCode(db.prisma, h.row.id);
    await expect(
      confirmUnlock(
        db.prisma,
        { requestId, code, usedAlternative: false },
        { clock, actor: h.actor, config: getConfig() },
      ),
    ).rejects.toMatchObject({ code: "UNLOCK_NOT_RELEASED" });
    await releaseSoPin(db.prisma, { requestId, code }, { clock, actor: h.actor, config: getConfig() });
    await expect(
      confirmUnlock(
        db.prisma,
        { requestId, code: code === "123456" ? "654321" : "123456", usedAlternative: false },
        { clock, actor: h.actor, config: getConfig() },
      ),
    ).rejects.toMatchObject({ code: "UNLOCK_REQUEST_INVALID" });
    await expect(
      confirmUnlock(
        db.prisma,
        { requestId, code, usedAlternative: true },
        { clock, actor: h.actor, config: getConfig() },
      ),
    ).rejects.toMatchObject({ code: "UNLOCK_ROTATION_INVALID" });
    expect(await version(h.tokenSerial)).toBe(0);
  });

  it("during a SESSION_SECRET rotation a code mailed under the previous secret still releases and confirms", async () => {
    const h = await holderOnToken();
    const old = getConfig();
    const { requestId } = await start(db.prisma, { ...h, clock });
    const code = await mailedCode(db.prisma, h.row.id);
    const rotatedOnly = { ...old, SESSION_SECRET: "new-session-secret-0123456789abcdef0123456789" };
    await expect(
      releaseSoPin(db.prisma, { requestId, code }, { clock, actor: h.actor, config: rotatedOnly }),
    ).rejects.toMatchObject({ code: "UNLOCK_CODE_INVALID" });
    const during = { ...rotatedOnly, SESSION_SECRET_PREVIOUS: old.SESSION_SECRET };
    const pins = await releaseSoPin(db.prisma, { requestId, code }, { clock, actor: h.actor, config: during });
    await backend.unlock(h.tokenSerial, { soPin: pins.soPin, newPin: "222222", newSoPin: pins.newSoPin });
    await confirmUnlock(
      db.prisma,
      { requestId, code, usedAlternative: false },
      { clock, actor: h.actor, config: during },
    );
    expect(await version(h.tokenSerial)).toBe(1);
  });
});
