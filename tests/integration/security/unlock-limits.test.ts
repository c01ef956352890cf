import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfig } from "@/lib/config";
import { fixedClock } from "@/lib/dev/testing/clock";
import { isDomainError } from "@/lib/errors";
import type { OpenDb } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa } from "@/tests/helpers/pki";
import { holder } from "@/tests/integration/services/fixture";
import { start } from "@/tests/integration/services/unlock-harness";

/**
 * Issue 21 item 10: failed identity checks from one address do not block the holder's online unlock, and the answer
 * does not say which part of the identity was right.
 */

const NOW = new Date("2026-11-25T02:00:00.000Z");
const clock = fixedClock(NOW.toISOString());
let db: OpenDb;
let ca: Ca;
beforeAll(async () => {
  process.env.TEST_CAPTCHA_BYPASS = "1";
  resetConfig();
  db = await createTestDb();
  ({ ca } = await createTestCa());
});
afterAll(async () => {
  delete process.env.TEST_CAPTCHA_BYPASS;
  resetConfig();
  await db?.close();
});

const actor = (ip: string) => ({ type: "holder" as const, id: null, ip, userAgent: "vitest" });
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (isDomainError(e) ? { code: e.code, details: e.details } : e),
  );

async function holderOnToken(tokenSerial: string) {
  const h = await holder(db.prisma, ca, NOW, 100);
  await db.prisma.certificate.update({ where: { id: h.row.id }, data: { tokenSerial } });
  return { ...h, tokenSerial };
}

describe("online unlock under attack", () => {
  it("five failed identity checks from elsewhere do not pause the holder's unlock", async () => {
    const h = await holderOnToken("UTSEC001");
    for (let i = 0; i < 6; i++)
      await errorOf(start(db.prisma, { ...h, idNumber: "110101199001019999", clock, actor: actor("203.0.113.99") }));
    expect(
      await errorOf(start(db.prisma, { ...h, idNumber: "110101199001019999", clock, actor: actor("203.0.113.99") })),
    ).toMatchObject({ code: "UNLOCK_TOO_MANY_ATTEMPTS" });
    await expect(start(db.prisma, { ...h, clock, actor: actor("192.0.2.33") })).resolves.toMatchObject({
      sentTo: [expect.any(String)],
    });
  });

  it("a wrong key serial and a wrong ID number get one and the same answer", async () => {
    const h = await holderOnToken("UTSEC002");
    const wrongToken = await errorOf(
      start(db.prisma, { ...h, tokenSerial: "UT999999", clock, actor: actor("192.0.2.40") }),
    );
    const wrongId = await errorOf(
      start(db.prisma, { ...h, idNumber: "110101199001019999", clock, actor: actor("192.0.2.41") }),
    );
    expect(wrongToken).toEqual(wrongId);
    expect(wrongToken).toMatchObject({ code: "UNLOCK_IDENTITY_MISMATCH" });
    const actions = (
      await db.prisma.auditEvent.findMany({ where: { targetId: h.row.id }, orderBy: { seq: "asc" } })
    ).map((e) => e.action);
    expect(actions).toEqual(["unlock.token_mismatch", "unlock.id_mismatch"]);
  });
});
