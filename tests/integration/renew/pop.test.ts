import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MINUTE } from "@/lib/clock";
import { getConfig } from "@/lib/config";
import type { Db, OpenDb } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { revokeCertificate } from "@/lib/pki/revoke";
import { CHALLENGE_LIMIT, issueChallenge, verifyProof } from "@/lib/renewal/pop";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa } from "@/tests/helpers/pki";
import { holder, newClock, signText, signedChallenge, type Holder } from "./fixture";
import { withTx } from "@/lib/audit";

let opened: OpenDb;
let db: Db;
let ca: Ca;
let h: Holder;
let origin: string;

beforeAll(async () => {
  ({ ca } = await createTestCa());
  origin = getConfig().publicOrigin;
  opened = await createTestDb();
  db = opened.prisma as Db;
  h = await holder(db, ca);
});
afterAll(async () => {
  await opened?.close();
});

const login = (p: { challengeText: string; signatureB64: string }, clock = newClock()) =>
  verifyProof(db, { ...p, purpose: "login", origin, clock });

describe("proof of possession", () => {
  it("accepts a challenge signed by the registered certificate's key and returns that certificate", async () => {
    const proof = await signedChallenge(db, h, newClock());
    const cert = await login(proof);
    expect(cert.id).toBe(h.row.id);
    expect(
      (await db.challenge.findFirstOrThrow({ where: { serial: h.row.serial, usedAt: { not: null } } })).purpose,
    ).toBe("login");
  });

  it("refuses a challenge the second time (single use)", async () => {
    const proof = await signedChallenge(db, h, newClock());
    await login(proof);
    await expect(login(proof)).rejects.toMatchObject({ code: "POP_CHALLENGE_USED" });
  });

  it("lets only one of two simultaneous uses of a challenge through", async () => {
    const proof = await signedChallenge(db, h, newClock());
    const results = await Promise.allSettled([login(proof), login(proof), login(proof)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("refuses a challenge answered after 2 minutes", async () => {
    const clock = newClock();
    const proof = await signedChallenge(db, h, clock);
    clock.advance(2 * MINUTE);
    await expect(login(proof, clock)).rejects.toMatchObject({ code: "POP_CHALLENGE_EXPIRED" });
  });

  it("refuses a challenge made for another origin, another purpose, or not made here", async () => {
    const clock = newClock();
    const foreign = await issueChallenge(db, {
      serial: h.row.serial,
      origin: "https://evil.example",
      purpose: "login",
      clock,
    });
    await expect(
      login({ challengeText: foreign.text, signatureB64: signText(h.key, foreign.text) }),
    ).rejects.toMatchObject({ code: "POP_CHALLENGE_INVALID" });

    const revoke = await issueChallenge(db, { serial: h.row.serial, origin, purpose: "revoke", clock });
    await expect(
      login({ challengeText: revoke.text, signatureB64: signText(h.key, revoke.text) }),
    ).rejects.toMatchObject({ code: "POP_CHALLENGE_INVALID" });

    const forged = revoke.text.replace("purpose: revoke", "purpose: login");
    await expect(login({ challengeText: forged, signatureB64: signText(h.key, forged) })).rejects.toMatchObject({
      code: "POP_CHALLENGE_INVALID",
    });
    await expect(login({ challengeText: "hello", signatureB64: "AA==" })).rejects.toMatchObject({
      code: "POP_CHALLENGE_INVALID",
    });
  });

  it("refuses a signature made by another key than the certificate's", async () => {
    const other = await holder(db, ca);
    const { text } = await issueChallenge(db, { serial: h.row.serial, origin, purpose: "login", clock: newClock() });
    await expect(login({ challengeText: text, signatureB64: signText(other.key, text) })).rejects.toMatchObject({
      code: "POP_SIGNATURE_INVALID",
    });
  });

  it("refuses an issue challenge for another CSR than the one submitted", async () => {
    const clock = newClock();
    const proof = await signedChallenge(db, h, clock, "issue", "a".repeat(64));
    await expect(
      verifyProof(db, { ...proof, purpose: "issue", origin, clock, csrSha256: "b".repeat(64) }),
    ).rejects.toMatchObject({ code: "POP_CSR_MISMATCH" });
    const ok = await verifyProof(db, { ...proof, purpose: "issue", origin, clock, csrSha256: "a".repeat(64) });
    expect(ok.id).toBe(h.row.id);
  });

  it("refuses unknown and revoked certificates", async () => {
    const clock = newClock();
    const unknown = await issueChallenge(db, { serial: "0badc0ffee", origin, purpose: "login", clock });
    await expect(
      login({ challengeText: unknown.text, signatureB64: signText(h.key, unknown.text) }),
    ).rejects.toMatchObject({ code: "CERT_UNKNOWN" });

    const revoked = await holder(db, ca);
    await withTx(db, (tx) =>
      revokeCertificate(tx, {
        serial: revoked.row.serial,
        reason: "keyCompromise",
        clock,
        actor: { type: "staff", id: "s1" },
        ca,
      }),
    );
    await expect(login(await signedChallenge(db, revoked, clock))).rejects.toMatchObject({ code: "CERT_REVOKED" });
  });

  it(`rate-limits challenges per certificate (${CHALLENGE_LIMIT.max} per 10 minutes)`, async () => {
    const fresh = await holder(db, ca);
    const clock = newClock();
    for (let i = 0; i < CHALLENGE_LIMIT.max; i++)
      await issueChallenge(db, { serial: fresh.row.serial, origin, purpose: "login", clock });
    await expect(
      issueChallenge(db, { serial: fresh.row.serial, origin, purpose: "login", clock }),
    ).rejects.toMatchObject({ code: "RATE_LIMITED" });
    clock.advance(10 * MINUTE);
    await expect(
      issueChallenge(db, { serial: fresh.row.serial, origin, purpose: "login", clock }),
    ).resolves.toBeDefined();
  });
});

describe("challenge housekeeping", () => {
  it("purges challenges a day after they expired and keeps newer ones", async () => {
    const { purgeChallenges } = await import("@/lib/renewal/pop");
    const clock = newClock();
    const fresh = await holder(db, ca);
    await issueChallenge(db, { serial: fresh.row.serial, origin, purpose: "login", clock });
    clock.advance(24 * 60 * MINUTE);
    const kept = await issueChallenge(db, { serial: fresh.row.serial, origin, purpose: "login", clock });
    clock.advance(3 * MINUTE);
    expect(await purgeChallenges(db, clock)).toBeGreaterThanOrEqual(1);
    expect(await db.challenge.count({ where: { serial: fresh.row.serial } })).toBe(1);
    expect(kept.text).toContain(fresh.row.serial);
  });

  it("limits challenges per client address across serials", async () => {
    const { CHALLENGE_IP_LIMIT } = await import("@/lib/renewal/pop");
    const clock = newClock();
    const serials = await Promise.all([
      holder(db, ca),
      holder(db, ca),
      holder(db, ca),
      holder(db, ca),
      holder(db, ca),
      holder(db, ca),
      holder(db, ca),
    ]);
    let refused = 0;
    for (let i = 0; i <= CHALLENGE_IP_LIMIT.max; i++) {
      await issueChallenge(db, {
        serial: serials[i % serials.length].row.serial,
        origin,
        purpose: "login",
        clock,
        ip: "203.0.113.7",
      }).catch((e: { code?: string }) => {
        if (e.code === "RATE_LIMITED") refused++;
        else throw e;
      });
    }
    expect(refused).toBe(1);
  });
});
