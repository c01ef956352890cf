import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "@/lib/config";
import type { Db, OpenDb } from "@/lib/db";
import { DAY } from "@/lib/clock";
import { withTx } from "@/lib/audit";
import { decryptField } from "@/lib/crypto/field";
import { fixedClock } from "@/lib/dev/testing/clock";
import { transitionOrder } from "@/lib/orders/machine";
import { sendExpiryReminders } from "@/lib/mail/reminders";
import { smsCodeSender } from "@/lib/services/unlock-sms";
import { createTestDb } from "@/tests/helpers/db";
import { insertCertificate, insertOrder } from "../mail/fixtures";

let opened: OpenDb;
let db: Db;
const T0 = new Date("2026-11-01T01:00:00Z");

beforeAll(async () => {
  opened = await createTestDb();
  db = opened.prisma as Db;
});
afterAll(async () => {
  await opened?.close();
});

const smsFor = (template: string) => db.smsOutbox.findMany({ where: { template } });

describe("what goes by SMS when the handler chose it", () => {
  it("the payment receipt, to the handler's mobile, only for orders that opted in", async () => {
    const cert = await insertCertificate(db, { serial: "a1", notAfter: new Date(T0.getTime() + 10 * DAY) });
    const opted = await insertOrder(db, cert.id, cert.serial, "awaiting_payment");
    await db.renewalOrder.update({ where: { id: opted.id }, data: { notifySms: true } });
    const other = await insertCertificate(db, { serial: "a2", notAfter: new Date(T0.getTime() + 10 * DAY) });
    const silent = await insertOrder(db, other.id, other.serial, "awaiting_payment");
    for (const order of [opted, silent])
      await withTx(db, (tx) =>
        transitionOrder(tx, {
          orderId: order.id,
          to: "paid",
          links: getConfig(),
          actor: { type: "alipay", id: "test" },
          clock: fixedClock(T0),
          set: { paidAt: T0, paidFen: 5000 },
        }),
      );
    const rows = await smsFor("payment_received");
    expect(rows.map((r) => [r.orderId, r.params])).toEqual([[opted.id, { orderNo: opted.orderNo, amount: "50.00" }]]);
    expect(decryptField(getConfig(), rows[0].toEnc)).toBe("13812345678");
  });

  it("the expiry reminder of a certificate whose renewal's handler chose SMS", async () => {
    const old = await insertCertificate(db, { serial: "r0", notAfter: new Date(T0.getTime() - 300 * DAY) });
    const renewed = await insertCertificate(db, {
      serial: "r1",
      notAfter: new Date(T0.getTime() + 7 * DAY),
      previousId: old.id,
    });
    const order = await insertOrder(db, old.id, old.serial, "installed");
    await db.renewalOrder.update({
      where: { id: order.id },
      data: { notifySms: true, issuedCertificateId: renewed.id },
    });
    await sendExpiryReminders(db, fixedClock(T0), getConfig());
    const rows = await smsFor("reminder");
    expect(rows.map((r) => r.params)).toEqual([{ name: "张三丰", date: "2026-11-08" }]);
  });

  it("the unlock code, to the holder's latest opted-in handler; none without one", async () => {
    const cert = await insertCertificate(db, {
      serial: "u1",
      holderIdHash: "another-holder",
      notAfter: new Date(T0.getTime() + 50 * DAY),
    });
    const sender = smsCodeSender(getConfig());
    const args = { certificate: cert, code: "123456", expiresAt: T0, locale: "zh-CN" as const };
    expect(await withTx(db, (tx) => sender.send(tx, args, fixedClock(T0)))).toBeNull();
    const order = await insertOrder(db, cert.id, cert.serial, "installed");
    await db.renewalOrder.update({ where: { id: order.id }, data: { notifySms: true } });
    expect(await withTx(db, (tx) => sender.send(tx, args, fixedClock(T0)))).toBe("138****5678");
    expect((await smsFor("unlock_code")).map((r) => r.params)).toEqual([{ code: "123456" }]);
  });
});
