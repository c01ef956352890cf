import "@/tests/helpers/env";
import { getConfig } from "@/lib/config";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb } from "@/tests/helpers/db";
import { HOLDER, draftOrder, insertCertificate } from "@/tests/helpers/orders";
import type { Db, OpenDb } from "@/lib/db";
import { DAY, HOUR } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { ensureDefaultFeeTiers } from "@/lib/fees/tiers";
import { submitOrder } from "@/lib/renewal/create-order";
import { transitionOrder } from "@/lib/orders/machine";
import { dashboard } from "@/lib/staff/dashboard";
import { ensureDemoStaff } from "@/lib/dev/demo/staff";
import { signIn } from "@/lib/staff/auth";
import { withTx } from "@/lib/audit";

let open: OpenDb;
let db: Db;
const now = fixedClock("2026-11-25T06:00:00Z"); // 14:00 in Beijing
const SYSTEM = { type: "system" as const, id: "test" };

beforeAll(async () => {
  open = await createTestDb();
  db = open.prisma;
  await ensureDefaultFeeTiers(db, now);
});
afterAll(async () => {
  await open?.close();
});

async function paidAt(at: Date, expiresInDays = 10) {
  const c = fixedClock(at);
  const cert = await insertCertificate(db, { notAfter: new Date(at.getTime() + expiresInDays * DAY) });
  const draft = await draftOrder(db, cert, c);
  const o = await submitOrder(db, { orderId: draft.id, actor: HOLDER, clock: c });
  return withTx(db, (tx) =>
    transitionOrder(tx, {
      orderId: o.id,
      to: "paid",
      links: getConfig(),
      actor: SYSTEM,
      clock: c,
      set: { paidFen: o.priceFen, paidAt: at },
    }),
  );
}

describe("the dashboard", () => {
  test("groups money by Beijing day and flags orders stuck in paid", async () => {
    // 2026-11-23 23:30 UTC is already the 24th in Beijing
    await paidAt(new Date("2026-11-23T23:30:00Z"));
    await paidAt(new Date("2026-11-24T01:00:00Z"));
    await paidAt(new Date("2026-11-25T05:50:00Z"));
    const d = await dashboard(db, now);
    expect(d.revenuePerDay).toHaveLength(30);
    expect(d.revenuePerDay.at(-1)).toEqual({ day: "2026-11-25", revenueFen: 10000, refundsFen: 0 });
    expect(d.revenuePerDay.at(-2)).toEqual({ day: "2026-11-24", revenueFen: 20000, refundsFen: 0 });
    expect(d.revenuePerDay.at(-3)?.revenueFen).toBe(0);
    // paid more than 30 minutes ago and not issued: stuck; the one paid 10 minutes ago is not
    expect(d.stuck.map((s) => s.state)).toEqual(["paid", "paid"]);
    expect(d.byState.paid).toBe(3);
  });

  test("counts active certificates expiring in the next 30 days per day", async () => {
    const before = (await dashboard(db, now)).expiringTotal;
    await insertCertificate(db, { notAfter: new Date(now.now().getTime() + 3 * DAY) });
    await insertCertificate(db, { notAfter: new Date(now.now().getTime() + 3 * DAY + HOUR) });
    await insertCertificate(db, { notAfter: new Date(now.now().getTime() + 45 * DAY) });
    await insertCertificate(db, { notAfter: new Date(now.now().getTime() + 5 * DAY), status: "revoked" });
    const d = await dashboard(db, now);
    expect(d.expiringTotal).toBe(before + 2);
    expect(d.expiringPerDay.find((p) => p.day === "2026-11-28")?.value).toBeGreaterThanOrEqual(2);
    expect(d.expiringPerDay).toHaveLength(30);
  });
});

describe("demo staff", () => {
  test("one account per role, passwords kept in DATA_DIR/demo-staff.json and stable across starts", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "demo-staff-"));
    try {
      const first = await ensureDemoStaff(db, now, dir);
      expect(first.map((s) => s.role).sort()).toEqual(["admin", "auditor", "finance", "helpdesk"]);
      const file = path.join(dir, "demo-staff.json");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(first);
      const again = await ensureDemoStaff(db, now, dir);
      expect(again).toEqual(first);
      const admin = first.find((s) => s.role === "admin")!;
      expect(
        (await signIn(db, getConfig(), { username: admin.username, password: admin.password }, now)).user.role,
      ).toBe("admin");
      // the file is lost: the accounts get new passwords that work
      rmSync(file);
      const renewed = await ensureDemoStaff(db, now, dir);
      expect(renewed.find((s) => s.role === "admin")!.password).not.toBe(admin.password);
      const r = renewed.find((s) => s.role === "helpdesk")!;
      expect((await signIn(db, getConfig(), { username: r.username, password: r.password }, now)).user.role).toBe(
        "helpdesk",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
