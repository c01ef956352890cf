import "../../helpers/env";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHmac } from "node:crypto";
import { createTestDb } from "../../helpers/db";
import type { OpenDb } from "@/lib/db";
import { createCaptcha, verifyCaptcha, CAPTCHA_TTL_MS } from "@/lib/captcha";
import { MINUTE, HOUR } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { createSession, loadSession, TIMEOUTS } from "@/lib/session";
import { getConfig } from "@/lib/config";

let db: OpenDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

describe("captcha", () => {
  test("a wrong answer uses the captcha up, so the right answer afterwards is refused", async () => {
    const clock = fixedClock("2026-11-25T10:00:00Z");
    const { id, svg } = await createCaptcha(db.prisma, clock, "ip-1", getConfig());
    expect(svg).toContain("<svg");
    await expect(verifyCaptcha(db.prisma, id, "zzzz", clock, getConfig())).rejects.toMatchObject({
      code: "CAPTCHA_INVALID",
    });
    const row = await db.prisma.captcha.findUniqueOrThrow({ where: { id } });
    expect(row.usedAt).not.toBeNull();
  });

  test("the right answer passes once, and only within five minutes", async () => {
    const clock = fixedClock("2026-11-25T10:00:00Z");
    const { id } = await createCaptcha(db.prisma, clock, "ip-2", getConfig());
    // plant a known answer with the same HMAC the server uses
    const hash = createHmac("sha256", process.env.SESSION_SECRET!).update(`captcha:${id}:ab12`).digest("hex");
    await db.prisma.captcha.update({ where: { id }, data: { answerHash: hash } });
    await verifyCaptcha(db.prisma, id, "AB12", clock, getConfig());
    await expect(verifyCaptcha(db.prisma, id, "ab12", clock, getConfig())).rejects.toMatchObject({
      code: "CAPTCHA_INVALID",
    });

    const late = await createCaptcha(db.prisma, clock, "ip-2", getConfig());
    const lateHash = createHmac("sha256", process.env.SESSION_SECRET!).update(`captcha:${late.id}:ab12`).digest("hex");
    await db.prisma.captcha.update({ where: { id: late.id }, data: { answerHash: lateHash } });
    clock.advance(CAPTCHA_TTL_MS);
    await expect(verifyCaptcha(db.prisma, late.id, "ab12", clock, getConfig())).rejects.toMatchObject({
      code: "CAPTCHA_EXPIRED",
    });
  });

  test("the test bypass answer is refused unless TEST_CAPTCHA_BYPASS is set", async () => {
    const clock = fixedClock("2026-11-25T10:00:00Z");
    const { id } = await createCaptcha(db.prisma, clock, "ip-3", getConfig());
    await expect(verifyCaptcha(db.prisma, id, "test-bypass", clock, getConfig(), "ip-3")).rejects.toMatchObject({
      code: "CAPTCHA_INVALID",
    });
  });

  test("creating captchas is rate-limited per client", async () => {
    const clock = fixedClock("2026-11-25T10:00:00Z");
    for (let i = 0; i < 60; i++) await createCaptcha(db.prisma, clock, "ip-flood", getConfig());
    await expect(createCaptcha(db.prisma, clock, "ip-flood", getConfig())).rejects.toMatchObject({
      code: "RATE_LIMITED",
    });
  });
});

describe("sessions", () => {
  test("a session ends after its idle timeout", async () => {
    const clock = fixedClock("2026-11-25T10:00:00Z");
    const { token } = await createSession(db.prisma, { kind: "holder", certificateId: "c" }, clock);
    clock.advance(TIMEOUTS.holder.idleMs - MINUTE);
    expect(await loadSession(db.prisma, "holder", token, clock)).not.toBeNull();
    clock.advance(TIMEOUTS.holder.idleMs);
    expect(await loadSession(db.prisma, "holder", token, clock)).toBeNull();
  });

  test("a session in use still ends at its absolute timeout", async () => {
    const clock = fixedClock("2026-11-25T10:00:00Z");
    const { token } = await createSession(db.prisma, { kind: "staff" }, clock);
    for (let t = 0; t < TIMEOUTS.staff.absoluteMs - 20 * MINUTE; t += 20 * MINUTE) {
      clock.advance(20 * MINUTE);
      expect(await loadSession(db.prisma, "staff", token, clock)).not.toBeNull();
    }
    clock.advance(HOUR);
    expect(await loadSession(db.prisma, "staff", token, clock)).toBeNull();
  });

  test("a holder token is not a staff session", async () => {
    const clock = fixedClock("2026-11-25T10:00:00Z");
    const { token } = await createSession(db.prisma, { kind: "holder", certificateId: "c" }, clock);
    expect(await loadSession(db.prisma, "staff", token, clock)).toBeNull();
  });

  test("the database keeps only a hash of the session token", async () => {
    const { token, session } = await createSession(
      db.prisma,
      { kind: "holder", certificateId: "c" },
      fixedClock("2026-11-25T10:00:00Z"),
    );
    expect(session.id).not.toContain(token);
    expect(await db.prisma.session.count({ where: { id: token } })).toBe(0);
  });
});
