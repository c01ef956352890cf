import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { getConfig } from "@/lib/config";
import { beforeAll, describe, expect, test } from "vitest";
import { onPostgres } from "@/tests/helpers/db";
import {
  HANDLER,
  HOLDER,
  draftOrder,
  holderCancels,
  ORDER_NO_PATTERN,
  SYSTEM,
  codeOf,
  insertCertificate,
  useOrdersDb,
} from "@/tests/helpers/orders";
import type { Db } from "@/lib/db";
import { DAY, MINUTE } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { DomainError } from "@/lib/errors";
import { verifyAuditChain, withTx } from "@/lib/audit";
import { decryptField } from "@/lib/crypto/field";
import { createFeeTier } from "@/lib/fees/tiers";
import { cancelOrder, createDraftOrder, submitOrder, updateDraftHandler } from "@/lib/renewal/create-order";
import { transitionOrder } from "@/lib/orders/machine";

// ten days before the certificates' expiry (2026-12-10 10:00 Beijing)
const clock = fixedClock("2026-11-30T02:00:00Z");
const getDb = useOrdersDb(clock);
let db: Db;
beforeAll(() => {
  db = getDb();
});

describe("creating the draft", () => {
  test("prices from the tier, encrypts the handler's ID and mobile, opens the certificate", async () => {
    const cert = await insertCertificate(db);
    const order = await draftOrder(db, cert, clock);
    expect(order).toMatchObject({
      state: "draft",
      version: 0,
      openCertificateId: cert.id,
      certSerial: cert.serial,
      holderName: cert.holderName,
      certType: "organisation",
      payerClass: "self",
      fenPerYear: 10000,
      years: 1,
      priceFen: 10000,
      newNotAfter: new Date("2027-12-10T02:00:00Z"),
      handlerName: "张三",
      handlerIdType: "resident_id",
      handlerIdLast4: "1231",
      handlerMobileLast4: "5678",
      handlerEmail: "zhangsan@example.com",
    });
    expect(order.orderNo).toMatch(ORDER_NO_PATTERN);
    expect(order.handlerIdEnc).not.toContain("370102");
    expect(decryptField(getConfig(), order.handlerIdEnc)).toBe(HANDLER.idNumber);
    expect(decryptField(getConfig(), order.handlerMobileEnc)).toBe(HANDLER.mobile);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: order.id, action: "order.created" } });
    expect(audit).toMatchObject({ actorType: "holder", ip: "203.0.113.7", toState: "draft" });
    expect(JSON.stringify(audit.data)).not.toContain(HANDLER.idNumber);
    expect(JSON.stringify(audit.data)).not.toContain(HANDLER.mobile);
  });

  test("a second create for the same certificate resumes the open order", async () => {
    const cert = await insertCertificate(db);
    const first = await draftOrder(db, cert, clock);
    const again = await createDraftOrder(db, {
      keys: getConfig(),
      certificate: cert,
      handler: { ...HANDLER, name: "李四" },
      actor: HOLDER,
      clock,
      locale: "en",
    });
    expect(again.id).toBe(first.id);
    expect(again.handlerName).toBe("张三");
    expect(await db.renewalOrder.count({ where: { certificateId: cert.id } })).toBe(1);
  });

  test.each([
    ["too early", { notAfter: new Date("2027-06-01T00:00:00Z") }, "RENEWAL_TOO_EARLY"],
    ["expired", { notAfter: new Date("2026-11-30T01:59:59Z") }, "RENEWAL_EXPIRED"],
    ["revoked", { status: "revoked" as const }, "CERT_REVOKED"],
  ])("refuses a %s certificate and writes nothing", async (_, patch, code) => {
    const cert = await insertCertificate(db, patch);
    expect(await codeOf(draftOrder(db, cert, clock))).toBe(code);
    expect(await db.renewalOrder.count({ where: { certificateId: cert.id } })).toBe(0);
  });

  test("refuses invalid handler details with per-field codes and writes nothing", async () => {
    const cert = await insertCertificate(db);
    const err = await createDraftOrder(db, {
      keys: getConfig(),
      certificate: cert,
      handler: { ...HANDLER, idNumber: "370102199001011234" },
      actor: HOLDER,
      clock,
      locale: "zh-CN",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: "HANDLER_INVALID", details: { fields: { idNumber: "idCheckDigit" } } });
    expect(await db.renewalOrder.count({ where: { certificateId: cert.id } })).toBe(0);
  });

  test(`20 parallel creates for one certificate give exactly one order${onPostgres ? " (PostgreSQL)" : " (PGlite)"}`, async () => {
    const cert = await insertCertificate(db);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createDraftOrder(db, {
          keys: getConfig(),
          certificate: cert,
          handler: { ...HANDLER, name: `经办人${"一二三四五六七八九十"[i % 10]}` },
          actor: HOLDER,
          clock,
          locale: "zh-CN",
        }),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await db.renewalOrder.count({ where: { certificateId: cert.id } })).toBe(1);
    expect(await db.auditEvent.count({ where: { targetId: results[0]!.id, action: "order.created" } })).toBe(1);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });
});

describe("review, submit and cancel", () => {
  test("返回修改 changes the handler of a draft, audited without the values", async () => {
    const cert = await insertCertificate(db);
    const order = await draftOrder(db, cert, clock);
    const edited = await updateDraftHandler(db, {
      keys: getConfig(),
      orderId: order.id,
      handler: { ...HANDLER, mobile: "13900001111" },
      actor: HOLDER,
      clock,
    });
    expect(edited).toMatchObject({ version: 1, handlerMobileLast4: "1111" });
    expect(decryptField(getConfig(), edited.handlerMobileEnc)).toBe("13900001111");
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { targetId: order.id, action: "order.handler_updated" },
    });
    expect(audit.data).toEqual({ orderNo: order.orderNo, changed: ["mobile"] });
  });

  test("self-paying: 确认提交 leads to awaiting_payment with a 30-minute deadline and queues the mail", async () => {
    const cert = await insertCertificate(db);
    const order = await draftOrder(db, cert, clock);
    const submitted = await submitOrder(db, { orderId: order.id, actor: HOLDER, clock });
    expect(submitted).toMatchObject({
      state: "awaiting_payment",
      version: 2,
      paymentDeadline: new Date(clock.now().getTime() + 30 * MINUTE),
    });
    const audit = await db.auditEvent.findMany({ where: { targetId: order.id }, orderBy: { seq: "asc" } });
    expect(audit.map((a) => [a.action, a.fromState, a.toState])).toEqual([
      ["order.created", null, "draft"],
      ["order.submitted", "draft", "submitted"],
      ["order.awaiting_payment", "submitted", "awaiting_payment"],
    ]);
    const mails = await db.mailOutbox.findMany({ where: { orderId: order.id } });
    expect(mails.map((m) => m.template)).toEqual(["order_submitted"]);
    expect(mails[0]!.to).toBe("zhangsan@example.com");
    expect(mails[0]!.data).toMatchObject({ orderNo: order.orderNo, amountFen: 10000 });
    // a double click on 确认提交 changes nothing
    expect((await submitOrder(db, { orderId: order.id, actor: HOLDER, clock })).version).toBe(2);
    expect(
      await codeOf(
        updateDraftHandler(db, { keys: getConfig(), orderId: order.id, handler: HANDLER, actor: HOLDER, clock }),
      ),
    ).toBe("ORDER_NOT_EDITABLE");
  });

  test("the payment window comes from Setting payment.windowMinutes", async () => {
    await db.setting.create({ data: { key: "payment.windowMinutes", value: 15 } });
    try {
      const cert = await insertCertificate(db);
      const order = await draftOrder(db, cert, clock);
      const submitted = await submitOrder(db, { orderId: order.id, actor: HOLDER, clock });
      expect(submitted.paymentDeadline).toEqual(new Date(clock.now().getTime() + 15 * MINUTE));
    } finally {
      await db.setting.delete({ where: { key: "payment.windowMinutes" } });
    }
  });

  test("unified payment: no price, 确认提交 leaves the order submitted, ready for issuance", async () => {
    const cert = await insertCertificate(db, { certType: "personal", payerClass: "unified" });
    const order = await createDraftOrder(db, {
      keys: getConfig(),
      certificate: cert,
      handler: HANDLER,
      actor: HOLDER,
      clock,
      locale: "en",
    });
    expect(order.priceFen).toBe(0);
    const submitted = await submitOrder(db, { orderId: order.id, actor: HOLDER, clock });
    expect(submitted).toMatchObject({ state: "submitted", paymentDeadline: null });
    const mail = await db.mailOutbox.findFirstOrThrow({ where: { orderId: order.id } });
    expect(mail).toMatchObject({ template: "order_submitted", locale: "en" });
  });

  test("submitting after the certificate expired is refused", async () => {
    const cert = await insertCertificate(db);
    const order = await draftOrder(db, cert, clock);
    const later = fixedClock(new Date(cert.notAfter.getTime() + 1000));
    expect(await codeOf(submitOrder(db, { orderId: order.id, actor: HOLDER, clock: later }))).toBe("RENEWAL_EXPIRED");
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("draft");
  });

  test("取消申请 frees the certificate for a new order", async () => {
    const cert = await insertCertificate(db);
    const order = await draftOrder(db, cert, clock);
    const cancelled = await holderCancels(db, order.id, clock);
    expect(cancelled).toMatchObject({ state: "cancelled", openCertificateId: null });
    const next = await draftOrder(db, cert, clock);
    expect(next.id).not.toBe(order.id);
    expect(
      await codeOf(cancelOrder(db, { pay: envPayments, orderId: order.id, actor: HOLDER, clock, reason: "again" })),
    ).toBe("ORDER_ILLEGAL_TRANSITION");
  });

  test("another certificate's session cannot touch the order", async () => {
    const cert = await insertCertificate(db);
    const order = await draftOrder(db, cert, clock);
    const args = { orderId: order.id, actor: HOLDER, clock, certificateId: "someone-else" };
    expect(await codeOf(cancelOrder(db, { pay: envPayments, ...args, reason: "x" }))).toBe("ORDER_NOT_FOUND");
    expect(await codeOf(submitOrder(db, args))).toBe("ORDER_NOT_FOUND");
    expect(await codeOf(updateDraftHandler(db, { keys: getConfig(), ...args, handler: HANDLER }))).toBe(
      "ORDER_NOT_FOUND",
    );
  });

  test("a paid order cannot be cancelled", async () => {
    const cert = await insertCertificate(db);
    const order = await draftOrder(db, cert, clock);
    await submitOrder(db, { orderId: order.id, actor: HOLDER, clock });
    await withTx(db, (tx) =>
      transitionOrder(tx, {
        orderId: order.id,
        to: "paid",
        links: getConfig(),
        actor: SYSTEM,
        clock,
        set: { paidFen: 10000, paidAt: clock.now() },
      }),
    );
    expect(
      await codeOf(cancelOrder(db, { pay: envPayments, orderId: order.id, actor: HOLDER, clock, reason: "x" })),
    ).toBe("ORDER_ALREADY_PAID");
  });
});

test("a unified-payment order being issued cannot be cancelled either (and is not called paid)", async () => {
  const cert = await insertCertificate(db, { payerClass: "unified" });
  const order = await draftOrder(db, cert, clock);
  await submitOrder(db, { orderId: order.id, actor: HOLDER, clock });
  await withTx(db, (tx) => transitionOrder(tx, { orderId: order.id, to: "issuing", actor: SYSTEM, clock }));
  expect(
    await codeOf(cancelOrder(db, { pay: envPayments, orderId: order.id, actor: HOLDER, clock, reason: "x" })),
  ).toBe("ORDER_ILLEGAL_TRANSITION");
});

describe("fee tier change mid-order", () => {
  test("an existing order keeps its price; new orders get the new tier", async () => {
    const k = { certType: "personal", payerClass: "self" } as const;
    const c1 = await insertCertificate(db, k);
    const before = await draftOrder(db, c1, clock);
    expect(before.priceFen).toBe(5000);

    const admin = { type: "staff" as const, id: "admin" };
    await createFeeTier(
      db,
      { ...k, fenPerYear: 6000, effectiveFrom: new Date(clock.now().getTime() + MINUTE), closeOpenEnded: true },
      admin,
      clock,
    );
    const later = fixedClock(new Date(clock.now().getTime() + DAY));

    const submitted = await submitOrder(db, { orderId: before.id, actor: HOLDER, clock: later });
    expect(submitted).toMatchObject({ state: "awaiting_payment", priceFen: 5000, feeTierId: before.feeTierId });

    const c2 = await insertCertificate(db, k);
    const after = await draftOrder(db, c2, later);
    expect(after.priceFen).toBe(6000);
    expect(after.feeTierId).not.toBe(before.feeTierId);
  });
});

test("a transition given the order as read is refused with CONFLICT when another wrote it meanwhile", async () => {
  const cert = await insertCertificate(db);
  const read = await draftOrder(db, cert, clock);
  // another request moves the order between this one's read and its write
  await withTx(db, (tx) => transitionOrder(tx, { orderId: read.id, to: "submitted", actor: HOLDER, clock }));
  const err = await withTx(db, (tx) =>
    transitionOrder(tx, { orderId: read.id, current: read, to: "cancelled", actor: HOLDER, clock }),
  ).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: "CONFLICT" });
  const row = await db.renewalOrder.findUniqueOrThrow({ where: { id: read.id } });
  expect([row.state, row.version]).toEqual(["submitted", 1]);
  expect(await db.auditEvent.count({ where: { targetId: read.id, toState: "cancelled" } })).toBe(0);

  // the row as just read moves without a second read, and a row of another order is a programming error
  const fresh = await db.renewalOrder.findUniqueOrThrow({ where: { id: read.id } });
  const other = await draftOrder(db, await insertCertificate(db), clock);
  await expect(
    withTx(db, (tx) =>
      transitionOrder(tx, { orderId: read.id, current: other, to: "cancelled", actor: HOLDER, clock }),
    ),
  ).rejects.toThrow(/current is order/);
  const moved = await withTx(db, (tx) =>
    transitionOrder(tx, { orderId: read.id, current: fresh, to: "cancelled", actor: HOLDER, clock }),
  );
  expect([moved.state, moved.version]).toEqual(["cancelled", 2]);
});
