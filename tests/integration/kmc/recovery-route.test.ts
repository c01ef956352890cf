import "@/tests/helpers/env";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withTx } from "@/lib/audit";
import { getConfig, resetConfig } from "@/lib/config";
import { generateSm2KeyPair, sm2Sign } from "@/lib/crypto/sm2";
import { setProcessDb, type Db, type OpenDb } from "@/lib/db";
import { fixedClock } from "@/lib/dev/testing/clock";
import { issueEncryptionPair } from "@/lib/kmc/dual";
import { getKmc } from "@/lib/kmc/keys";
import { decideRecovery, requestRecovery } from "@/lib/kmc/recovery";
import { resetCa, type Ca } from "@/lib/pki/ca";
import { openEnvelope, sm2PrivateKeyObject } from "@/lib/token/enveloped-key";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa, insertHolderCertificate } from "@/tests/helpers/pki";
import * as challengeRoute from "@/app/api/renew/challenge/route";
import * as recoveryRoute from "@/app/api/services/key-recovery/route";

/**
 * Key recovery delivered over HTTP: the holder's SM2 key signs a login challenge (as the token does through the
 * assistant) and POST /api/services/key-recovery answers the approved recovery's envelope for that key only.
 */

let opened: OpenDb;
let db: Db;
let ca: Ca;
let origin: string;
const clock = fixedClock(new Date());

beforeAll(async () => {
  ({ ca } = await createTestCa());
  resetCa();
  origin = getConfig().publicOrigin;
  opened = await createTestDb();
  db = opened.prisma as Db;
  setProcessDb(opened);
});
afterAll(async () => {
  resetConfig();
  await opened?.close();
});

function post(path: string, body: unknown): Request {
  return new Request(`${origin}${path}`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { origin, "content-type": "application/json", "x-real-ip": "10.1.2.4" },
  });
}

async function sm2Certificate() {
  const pair = generateSm2KeyPair();
  const { row } = await insertHolderCertificate(db, ca, {
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 300 * 86_400_000),
    key: sm2PrivateKeyObject(pair.privateKey),
  });
  return { pair, row };
}

async function signedLogin(serial: string, privateKey: Buffer, publicKey: Buffer) {
  const c = (await (await challengeRoute.POST(post("/api/renew/challenge", { serial }))).json()) as {
    challenge: string;
  };
  const signature = sm2Sign(Buffer.from(c.challenge, "utf8"), privateKey, { publicKey }).toString("base64");
  return { challenge: c.challenge, signature };
}

it("delivers an approved recovery to the key that signed the challenge, once", async () => {
  const lost = await sm2Certificate();
  const enc = await withTx(db, (tx) =>
    issueEncryptionPair(tx, { signing: lost.row, kmc: getKmc(), ca, clock, orderId: "route-test" }),
  );
  const asked = await requestRecovery(db, {
    serial: enc.serial,
    reason: "U-Key 遗失",
    actor: { type: "staff", id: "a" },
    clock,
  });

  const replacement = await sm2Certificate();
  const proof = await signedLogin(replacement.row.serial, replacement.pair.privateKey, replacement.pair.publicKey);
  // not approved yet
  const early = await recoveryRoute.POST(post("/api/services/key-recovery", { recoveryId: asked.id, ...proof }));
  expect(early.status).toBe(409);
  expect(((await early.json()) as { error: { code: string } }).error.code).toBe("KMC_RECOVERY_STATE");

  await decideRecovery(db, { id: asked.id, approve: true, actor: { type: "staff", id: "b" }, clock });
  // a signature by another key is refused before anything is delivered
  const forged = await signedLogin(replacement.row.serial, generateSm2KeyPair().privateKey, replacement.pair.publicKey);
  const refused = await recoveryRoute.POST(post("/api/services/key-recovery", { recoveryId: asked.id, ...forged }));
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("POP_SIGNATURE_INVALID");

  const good = await signedLogin(replacement.row.serial, replacement.pair.privateKey, replacement.pair.publicKey);
  const res = await recoveryRoute.POST(post("/api/services/key-recovery", { recoveryId: asked.id, ...good }));
  expect(res.status).toBe(200);
  const body = (await res.json()) as { envelope: string; certificate: string; serial: string };
  expect(body.serial).toBe(enc.serial);
  expect(Buffer.from(body.certificate, "base64").equals(Buffer.from(enc.der))).toBe(true);
  const { d } = openEnvelope(Buffer.from(body.envelope, "base64"), replacement.pair.privateKey);
  expect(d).toHaveLength(32);

  const again = await signedLogin(replacement.row.serial, replacement.pair.privateKey, replacement.pair.publicKey);
  const second = await recoveryRoute.POST(post("/api/services/key-recovery", { recoveryId: asked.id, ...again }));
  expect(((await second.json()) as { error: { code: string } }).error.code).toBe("KMC_RECOVERY_STATE");
});
