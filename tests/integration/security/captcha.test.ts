import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConfig, resetConfig } from "@/lib/config";
import { systemClock } from "@/lib/clock";
import { isDomainError } from "@/lib/errors";
import { answerHash, CAPTCHA_BACKOFF, CAPTCHA_TTL_MS, createCaptcha, verifyCaptcha } from "@/lib/captcha";
import type { OpenDb } from "@/lib/db";
import { createTestDb } from "@/tests/helpers/db";

/**
 * Issue 21 item 9: the captcha is harder to read by machine (no outline repeats between images, more text and
 * distractors) and is only one layer: wrong answers from one address cost growing delays.
 */

let db: OpenDb;
beforeAll(async () => {
  delete process.env.TEST_CAPTCHA_BYPASS;
  resetConfig();
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

const glyphOutlines = (svg: string) => [...svg.matchAll(/<path fill="#[0-9a-f]+" d="([^"]+)"/gi)].map((m) => m[1]);
const shape = (d: string) => {
  // the outline relative to its first point: what a solver matching svg-captcha's glyph paths compares
  const n = (d.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
  return n.map((v, i) => Math.round(v - n[i % 2])).join(",");
};

describe("the captcha (item 9)", () => {
  it("draws five characters whose outlines never repeat between images", async () => {
    const seen = new Set<string>();
    let glyphs = 0;
    for (let i = 0; i < 40; i++) {
      const c = await createCaptcha(db.prisma, systemClock, `shape-${i}`, getConfig());
      const outlines = glyphOutlines(c.svg);
      expect(outlines).toHaveLength(5);
      for (const d of outlines) {
        glyphs++;
        seen.add(shape(d));
      }
      expect(c.svg.match(/fill="none"/g)!.length).toBeGreaterThanOrEqual(5);
    }
    expect(seen.size).toBe(glyphs);
  });

  it("wrong answers from one address cost growing delays; another address is not held up", async () => {
    const who = "203.0.113.12";
    const codes: string[] = [];
    for (let i = 0; i < CAPTCHA_BACKOFF.free + 1; i++) {
      const c = await createCaptcha(db.prisma, systemClock, "delay", getConfig());
      codes.push(
        await verifyCaptcha(db.prisma, c.id, "wrong", systemClock, getConfig(), who).then(
          () => "ok",
          (e: unknown) => (isDomainError(e) ? e.code : String(e)),
        ),
      );
    }
    expect(codes.slice(0, CAPTCHA_BACKOFF.free)).toEqual(Array(CAPTCHA_BACKOFF.free).fill("CAPTCHA_INVALID"));
    expect(codes.at(-1)).toBe("RATE_LIMITED");
    // even the right answer waits now at that address
    const c = await createCaptcha(db.prisma, systemClock, "delay", getConfig());
    await expect(verifyCaptcha(db.prisma, c.id, "whatever", systemClock, getConfig(), who)).rejects.toMatchObject({
      code: "RATE_LIMITED",
    });
    // elsewhere the captcha is checked as usual
    await expect(verifyCaptcha(db.prisma, c.id, "wrong", systemClock, getConfig(), "192.0.2.8")).rejects.toMatchObject({
      code: "CAPTCHA_INVALID",
    });
  });

  it("during a SESSION_SECRET rotation a captcha drawn with the previous secret is still answered", async () => {
    const old = { ...getConfig(), SESSION_SECRET: "old-session-secret-0123456789abcdef0123456789" };
    const rotated = { ...getConfig(), SESSION_SECRET: "new-session-secret-0123456789abcdef0123456789" };
    // as createCaptcha on an instance still running with the old secret stores it
    const drawn = async () => {
      const row = await db.prisma.captcha.create({
        data: { answerHash: "", expiresAt: new Date(Date.now() + CAPTCHA_TTL_MS) },
      });
      await db.prisma.captcha.update({ where: { id: row.id }, data: { answerHash: answerHash(old, row.id, "k7Wq3") } });
      return row.id;
    };
    const who = "203.0.113.77";
    await expect(verifyCaptcha(db.prisma, await drawn(), "k7wq3", systemClock, rotated, who)).rejects.toMatchObject({
      code: "CAPTCHA_INVALID",
    });
    const during = { ...rotated, SESSION_SECRET_PREVIOUS: old.SESSION_SECRET };
    await expect(verifyCaptcha(db.prisma, await drawn(), "k7wq3", systemClock, during, who)).resolves.toBeUndefined();
    await expect(verifyCaptcha(db.prisma, await drawn(), "wrong", systemClock, during, who)).rejects.toMatchObject({
      code: "CAPTCHA_INVALID",
    });
  });
});
