import "@/tests/helpers/env";
import { expect, it } from "vitest";
import { withTx } from "@/lib/audit";
import { generateSm2KeyPair } from "@/lib/crypto/sm2";
import { fixedClock } from "@/lib/dev/testing/clock";
import { issueEncryptionPair } from "@/lib/kmc/dual";
import { getKmc } from "@/lib/kmc/keys";
import { decideRecovery, requestRecovery } from "@/lib/kmc/recovery";
import { openEnvelope } from "@/lib/token/enveloped-key";
import * as recoveryRoute from "@/app/api/services/key-recovery/route";
import { kmcRouteHarness } from "./harness";

/**
 * Key recovery delivered over HTTP: the holder's SM2 key signs a login challenge (as the token does through the
 * assistant) and POST /api/services/key-recovery answers the approved recovery's envelope for that key only.
 */

const { h, post, sm2Certificate, signedLogin } = kmcRouteHarness("10.1.2.4");
const clock = fixedClock(new Date());

it("delivers an approved recovery to the key that signed the challenge; only that key fetches it again", async () => {
  const lost = await sm2Certificate();
  const enc = await withTx(h.db, (tx) =>
    issueEncryptionPair(tx, { signing: lost.row, kmc: getKmc(), ca: h.ca, clock, orderId: "route-test" }),
  );
  const asked = await requestRecovery(h.db, {
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

  await decideRecovery(h.db, { id: asked.id, approve: true, actor: { type: "staff", id: "b" }, clock });
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

  // the import into the token failed (unplugged): the same key fetches a fresh envelope again, another key does not
  const again = await signedLogin(replacement.row.serial, replacement.pair.privateKey, replacement.pair.publicKey);
  const second = await recoveryRoute.POST(post("/api/services/key-recovery", { recoveryId: asked.id, ...again }));
  expect(second.status).toBe(200);
  const envelope2 = Buffer.from(((await second.json()) as { envelope: string }).envelope, "base64");
  expect(envelope2.equals(Buffer.from(body.envelope, "base64"))).toBe(false);
  expect(openEnvelope(envelope2, replacement.pair.privateKey).d.equals(d)).toBe(true);
  const other = await sm2Certificate();
  const otherProof = await signedLogin(other.row.serial, other.pair.privateKey, other.pair.publicKey);
  const third = await recoveryRoute.POST(post("/api/services/key-recovery", { recoveryId: asked.id, ...otherProof }));
  expect(((await third.json()) as { error: { code: string } }).error.code).toBe("KMC_RECOVERY_STATE");
  const actions = await h.db.auditEvent.findMany({ where: { targetId: asked.id }, orderBy: { seq: "asc" } });
  expect(actions.map((e) => e.action)).toEqual([
    "kmc.recovery_requested",
    "kmc.recovery_approved",
    "kmc.recovery_delivered",
    "kmc.recovery_redelivered",
  ]);
});
