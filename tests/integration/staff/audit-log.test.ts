import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb } from "@/tests/helpers/db";
import type { Db, OpenDb } from "@/lib/db";
import { MINUTE } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { appendAudit, verifyAuditChain, withTx } from "@/lib/audit";
import { AuditFilter, auditCsv, csvCell, listAuditEvents } from "@/lib/staff/audit-log";
import { createStaffUser } from "@/lib/staff/users";
import { updateSetting } from "@/lib/settings/policy";

let open: OpenDb;
let db: Db;
const clock = fixedClock("2026-11-20T02:00:00Z");
let adminId = "";

beforeAll(async () => {
  open = await createTestDb();
  db = open.prisma;
  adminId = (
    await createStaffUser(
      db,
      { username: "chief", password: "Correct-Horse-42!", role: "admin" },
      { type: "system", id: "seed" },
      clock,
    )
  ).id;
  const admin = { type: "staff" as const, id: adminId, ip: "10.0.0.9" };
  for (let i = 0; i < 6; i++) {
    clock.advance(MINUTE);
    await withTx(db, (tx) =>
      appendAudit(
        tx,
        {
          actorType: "holder",
          actorId: `cert-${i % 2}`,
          action: i % 2 ? "order.created" : "order.note",
          targetType: "order",
          targetId: `order-${i}`,
          data: { i },
        },
        clock,
      ),
    );
  }
  clock.set("2026-11-22T02:00:00Z");
  await updateSetting(db, "payment.windowMinutes", 45, admin, clock);
});
afterAll(async () => {
  await open?.close();
});

const list = async (f: Record<string, string>) => (await listAuditEvents(db, AuditFilter.parse(f))).rows;

describe("the audit log viewer", () => {
  test("filters by staff username, action, action prefix, target and Beijing date", async () => {
    expect((await list({ actor: "chief" })).map((e) => e.action)).toEqual(["setting.updated"]);
    expect((await list({ action: "order.created" })).length).toBe(3);
    expect((await list({ action: "order." })).length).toBe(6);
    expect((await list({ targetType: "order", targetId: "order-4" })).map((e) => e.data)).toEqual([{ i: 4 }]);
    expect((await list({ from: "2026-11-22" })).map((e) => e.action)).toEqual(["setting.updated"]);
    expect((await list({ to: "2026-11-20" })).length).toBe(7);
  });

  test("a settings change records the old and the new value", async () => {
    const [e] = await list({ action: "setting.updated" });
    expect(e).toMatchObject({ targetId: "payment.windowMinutes", data: { from: null, to: 45 } });
    expect(await db.setting.findUnique({ where: { key: "payment.windowMinutes" } })).toMatchObject({
      value: 45,
      updatedBy: adminId,
    });
  });

  test("settings are range-checked; reminder days may be typed as a comma list", async () => {
    const admin = { type: "staff" as const, id: adminId };
    const c = fixedClock("2026-11-23T02:00:00Z");
    await expect(updateSetting(db, "renewal.windowDays", 0, admin, c)).rejects.toMatchObject({
      code: "STAFF_SETTING_INVALID",
    });
    await expect(updateSetting(db, "reminders.days", "7, 7", admin, c)).rejects.toMatchObject({
      code: "STAFF_SETTING_INVALID",
    });
    expect((await updateSetting(db, "reminders.days", "14, 7，1", admin, c)).value).toEqual([1, 7, 14]);
  });

  test("the CSV export has every filtered row, oldest first, and neutralises formulas", async () => {
    let csv = "";
    for await (const chunk of auditCsv(db, AuditFilter.parse({ action: "order." }), 4)) csv += chunk;
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "seq,createdAt,actorType,actorId,action,targetType,targetId,fromState,toState,ip,userAgent,data,hash",
    );
    expect(lines.slice(1).map((l) => l.split(",")[6])).toEqual([
      "order-0",
      "order-1",
      "order-2",
      "order-3",
      "order-4",
      "order-5",
    ]);
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell({ a: 1 })).toBe(`"{""a"":1}"`);
  });

  test("verification finds the row altered with raw SQL", async () => {
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 9 });
    const victim = (await list({ targetId: "order-3" }))[0];
    await db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "data" = '{"i": 99}' WHERE "seq" = ${victim.seq}`);
    expect(await verifyAuditChain(db)).toMatchObject({
      ok: false,
      checked: victim.seq - 1,
      brokenAt: victim.seq,
      problem: "edited",
    });
  });

  test("a deleted row breaks the chain at the row after it", async () => {
    const victim = (await list({ targetId: "order-1" }))[0];
    await db.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "seq" = ${victim.seq}`);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, brokenAt: victim.seq + 1 });
  });
});
