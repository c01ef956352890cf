import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { getConfig } from "@/lib/config";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb } from "@/tests/helpers/db";
import { HANDLER, HOLDER, codeOf, draftOrder, insertCertificate } from "@/tests/helpers/orders";
import type { Db, OpenDb, Tx } from "@/lib/db";
import type { RenewalOrder } from "@/lib/generated/prisma/client";
import { DAY } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { verifyAuditChain, withTx } from "@/lib/audit";
import { createFeeTier, ensureDefaultFeeTiers } from "@/lib/fees/tiers";
import { createDraftOrder, submitOrder } from "@/lib/renewal/create-order";
import { transitionOrder } from "@/lib/orders/machine";
import {
  addOrderNote,
  markHandledInPerson,
  orderDetail,
  reissueStuckOrder,
  resendOrderMail,
  unmaskOrderField,
  cancelOrderByStaff,
} from "@/lib/staff/orders";
import { previewFee } from "@/lib/staff/fees";
import { OrderSearch, searchOrders } from "@/lib/staff/search";

/** Staff actions here never sign: an order without a stored CSR is reset, not issued. */
const noCa = () => Promise.reject(new Error("no CA needed"));

let open: OpenDb;
let db: Db;
// ten days before the test certificates expire (2026-12-10 02:00 UTC)
const clock = fixedClock("2026-11-30T02:00:00Z");
const AGENT = { type: "staff" as const, id: "staff-helpdesk-1", ip: "10.0.0.5", userAgent: "vitest" };
/** The helpdesk agent's cancel or handled-in-person of an order, with `reason`. */
const byAgent = (orderId: string, reason: string) => ({ pay: envPayments, orderId, reason, actor: AGENT, clock });
/** The order paid in full (what a settled Alipay payment does to its state), recorded by the agent. */
const markPaid = (tx: Tx, order: RenewalOrder) =>
  transitionOrder(tx, {
    orderId: order.id,
    to: "paid",
    links: getConfig(),
    actor: AGENT,
    clock,
    set: { paidFen: order.priceFen, paidAt: clock.now() },
  });

beforeAll(async () => {
  open = await createTestDb();
  db = open.prisma;
  await ensureDefaultFeeTiers(db, clock);
});
afterAll(async () => {
  await open?.close();
});

async function submittedOrder(patch: Parameters<typeof insertCertificate>[1] = {}, handler = HANDLER) {
  const cert = await insertCertificate(db, patch);
  const draft = await createDraftOrder(db, {
    keys: getConfig(),
    certificate: cert,
    handler,
    actor: HOLDER,
    clock,
    locale: "zh-CN",
  });
  return submitOrder(db, { orderId: draft.id, actor: HOLDER, clock });
}

describe("the order page", () => {
  test("shows personal data masked, and the timeline of every audit event in order", async () => {
    const order = await submittedOrder();
    await addOrderNote(db, { orderId: order.id, note: "holder called about the invoice", actor: AGENT, clock });
    const d = await orderDetail(db, order.id);
    expect(d.handlerIdMasked).toBe("**************1231");
    expect(d.handlerMobileMasked).toBe("*******5678");
    expect(d.handlerEmail).toBe("z******n@example.com");
    const text = JSON.stringify(d);
    expect(text).not.toContain(HANDLER.idNumber);
    expect(text).not.toContain(HANDLER.mobile);
    expect(text).not.toContain("handlerIdEnc");
    expect(d.timeline.map((e) => e.action)).toEqual([
      "order.created",
      "order.submitted",
      "order.awaiting_payment",
      "order.note",
    ]);
    expect(d.timeline.map((e) => e.seq)).toEqual([...d.timeline.map((e) => e.seq)].sort((a, b) => a - b));
    expect(d.timeline[3]).toMatchObject({
      actorType: "staff",
      actorId: AGENT.id,
      data: { note: "holder called about the invoice" },
    });
    expect(d.mails.map((m) => m.template)).toEqual(["order_submitted"]);
  });

  test("unmasking returns the full value and records who looked, at what and why", async () => {
    const order = await submittedOrder();
    const value = await unmaskOrderField(db, {
      keys: getConfig(),
      orderId: order.id,
      field: "handlerMobile",
      reason: "call back the handler",
      actor: AGENT,
      clock,
    });
    expect(value).toBe(HANDLER.mobile);
    const event = await db.auditEvent.findFirstOrThrow({ where: { targetId: order.id, action: "order.unmasked" } });
    expect(event).toMatchObject({
      actorId: AGENT.id,
      ip: AGENT.ip,
      data: { field: "handlerMobile", reason: "call back the handler" },
    });
    expect(JSON.stringify(event.data)).not.toContain(HANDLER.mobile);
  });

  test("unmasking without a reason is refused and leaves no trace", async () => {
    const order = await submittedOrder();
    expect(
      await codeOf(
        unmaskOrderField(db, {
          orderId: order.id,
          field: "handlerIdNumber",
          reason: "  ",
          actor: AGENT,
          clock,
          keys: getConfig(),
        }),
      ),
    ).toBe("VALIDATION_FAILED");
    expect(await db.auditEvent.count({ where: { targetId: order.id, action: "order.unmasked" } })).toBe(0);
  });
});

describe("helpdesk actions", () => {
  test("resending a mail queues a copy and notes the reason", async () => {
    const order = await submittedOrder();
    const [mail] = await db.mailOutbox.findMany({ where: { orderId: order.id } });
    const copy = await resendOrderMail(db, {
      orderId: order.id,
      mailId: mail.id,
      reason: "holder lost the mail",
      actor: AGENT,
      clock,
    });
    expect(copy).toMatchObject({ to: mail.to, template: mail.template, state: "pending", attempts: 0 });
    expect(copy.data).toEqual(mail.data);
    expect(await db.auditEvent.findFirst({ where: { targetId: order.id, action: "order.mail_resent" } })).toMatchObject(
      { data: { reason: "holder lost the mail", mailId: mail.id } },
    );
  });

  test("a mail of another order cannot be resent through this one", async () => {
    const a = await submittedOrder();
    const b = await submittedOrder();
    const [mailOfB] = await db.mailOutbox.findMany({ where: { orderId: b.id } });
    expect(
      await codeOf(resendOrderMail(db, { orderId: a.id, mailId: mailOfB.id, reason: "x", actor: AGENT, clock })),
    ).toBe("STAFF_MAIL_NOT_FOUND");
  });

  test("cancelling an unpaid order goes through the state machine with the reason", async () => {
    const order = await submittedOrder({ payerClass: "unified" });
    const cancelled = await cancelOrderByStaff(db, byAgent(order.id, "duplicate application"));
    expect(cancelled.state).toBe("cancelled");
    expect(cancelled.openCertificateId).toBeNull();
    expect(await db.auditEvent.findFirst({ where: { targetId: order.id, action: "order.cancelled" } })).toMatchObject({
      fromState: "submitted",
      toState: "cancelled",
      data: { reason: "duplicate application" },
    });
  });

  test("a paid order can be neither cancelled nor marked as handled in person", async () => {
    const order = await submittedOrder();
    await withTx(db, (tx) => markPaid(tx, order));
    expect(await codeOf(cancelOrderByStaff(db, byAgent(order.id, "x")))).toBe("ORDER_ALREADY_PAID");
    expect(await codeOf(markHandledInPerson(db, byAgent(order.id, "x")))).toBe("STAFF_IN_PERSON_NOT_ALLOWED");
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("paid");
  });

  test("handled in person cancels the online order with a recognisable reason, in one transaction", async () => {
    const order = await submittedOrder({ payerClass: "unified" });
    const done = await markHandledInPerson(db, byAgent(order.id, "came to the service centre"));
    expect(done.state).toBe("cancelled");
    const events = await db.auditEvent.findMany({ where: { targetId: order.id }, orderBy: { seq: "asc" } });
    expect(events.at(-2)).toMatchObject({
      action: "order.cancelled",
      data: { reason: "handled_in_person: came to the service centre" },
    });
    expect(events.at(-1)).toMatchObject({
      action: "order.handled_in_person",
      data: { reason: "came to the service centre" },
    });
    // the row versions' transaction id: the cancelled order and both events were written by one transaction
    const writers = await db.$queryRawUnsafe<{ xmin: string }[]>(
      `SELECT xmin::text FROM "RenewalOrder" WHERE id = $1 UNION SELECT xmin::text FROM "AuditEvent" WHERE seq = ANY($2::int[])`,
      order.id,
      [events.at(-2)!.seq, events.at(-1)!.seq],
    );
    expect(writers).toHaveLength(1);
  });

  test("re-issuance is refused for an order that is not stuck in issuing", async () => {
    const order = await submittedOrder();
    expect(await codeOf(reissueStuckOrder(db, { orderId: order.id, reason: "x", actor: AGENT, clock, ca: noCa }))).toBe(
      "STAFF_REISSUE_NOT_ALLOWED",
    );
  });

  test("an order stuck in issuing without a stored CSR goes back to paid, unflagged, for the holder to retry", async () => {
    const order = await submittedOrder();
    await withTx(db, async (tx) => {
      await markPaid(tx, order);
      await transitionOrder(tx, {
        orderId: order.id,
        to: "issuing",
        actor: AGENT,
        clock,
        set: { flagged: true, flagReason: "issuing_stalled" },
      });
    });
    const reset = await reissueStuckOrder(db, {
      orderId: order.id,
      reason: "holder's download failed",
      actor: AGENT,
      clock,
      ca: noCa,
    });
    expect(reset).toMatchObject({ state: "paid", flagged: false });
    expect(
      await db.auditEvent.findFirst({ where: { targetId: order.id, action: "order.reissue_reset" } }),
    ).toMatchObject({ fromState: "issuing", toState: "paid", data: { reason: "holder's download failed" } });
  });

  test("every action left the audit chain intact", async () => {
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });
});

describe("fee tiers scheduled by an admin", () => {
  test("a new order uses the scheduled tier from its date on, and the preview agrees", async () => {
    const admin = { type: "staff" as const, id: "staff-admin-1" };
    const from = new Date("2026-12-05T16:00:00Z"); // 2026-12-06 00:00 Beijing
    await createFeeTier(
      db,
      {
        certType: "personal",
        payerClass: "self",
        fenPerYear: 6000,
        effectiveFrom: from,
        closeOpenEnded: true,
        note: "2027 price",
      },
      admin,
      clock,
    );
    const cert = await insertCertificate(db, { certType: "personal", payerClass: "self" });
    expect((await previewFee(db, { serial: cert.serial, at: new Date(from.getTime() - 1) })).price.priceFen).toBe(5000);
    expect((await previewFee(db, { serial: cert.serial, at: from })).price.priceFen).toBe(6000);

    const before = await draftOrder(db, cert, clock);
    expect(before.priceFen).toBe(5000);
    await cancelOrderByStaff(db, {
      pay: envPayments,
      orderId: before.id,
      reason: "re-price test",
      actor: admin,
      clock,
    });

    const onTheDay = fixedClock(from);
    const after = await draftOrder(db, cert, onTheDay);
    expect(after).toMatchObject({ priceFen: 6000, fenPerYear: 6000 });
    // the earlier order keeps its snapshot
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: before.id } })).priceFen).toBe(5000);
  });
});

describe("order search", () => {
  const day = (d: string) => new Date(`${d}T04:00:00Z`);
  let ids: Record<string, string> = {};

  beforeAll(async () => {
    const make = async (
      key: string,
      holderName: string,
      mobile: string,
      idNumber: string,
      at: Date,
      state: "awaiting_payment" | "cancelled",
    ) => {
      const c = fixedClock(at);
      // the one to cancel pays nothing, so no Alipay trade needs closing
      const cert = await insertCertificate(db, {
        holderName,
        notAfter: new Date(at.getTime() + 10 * DAY),
        payerClass: state === "cancelled" ? "unified" : "self",
      });
      const draft = await createDraftOrder(db, {
        keys: getConfig(),
        certificate: cert,
        handler: { ...HANDLER, mobile, idNumber },
        actor: HOLDER,
        clock: c,
        locale: "zh-CN",
      });
      const o = await submitOrder(db, { orderId: draft.id, actor: HOLDER, clock: c });
      if (state === "cancelled")
        await cancelOrderByStaff(db, { pay: envPayments, orderId: o.id, reason: "test", actor: AGENT, clock: c });
      ids[key] = o.id;
      return o;
    };
    ids = {};
    await make("a", "搜索测试甲公司", "13900001111", "370102199001011274", day("2026-10-01"), "awaiting_payment");
    await make("b", "搜索测试乙公司", "13900002222", "37010219900101108X", day("2026-10-05"), "cancelled");
    await make("c", "搜索测试甲分公司", "13900003333", "370102199001011258", day("2026-10-09"), "awaiting_payment");
  });

  const find = async (q: Record<string, string>) =>
    (await searchOrders(db, OrderSearch.parse({ ...q, holderName: q.holderName ?? "搜索测试" }))).rows.map((r) => r.id);

  test("by holder name prefix, newest first by default", async () => {
    expect(await find({ holderName: "搜索测试甲" })).toEqual([ids.c, ids.a]);
    expect(await find({ holderName: "搜索测试甲", sort: "created_asc" })).toEqual([ids.a, ids.c]);
  });

  test("by order number and by certificate serial, exactly", async () => {
    const a = await db.renewalOrder.findUniqueOrThrow({ where: { id: ids.a } });
    expect((await searchOrders(db, OrderSearch.parse({ orderNo: a.orderNo }))).rows.map((r) => r.id)).toEqual([ids.a]);
    expect(
      (await searchOrders(db, OrderSearch.parse({ serial: a.certSerial.toUpperCase() }))).rows.map((r) => r.id),
    ).toEqual([ids.a]);
  });

  test("by the handler's phone or ID last four", async () => {
    expect(await find({ phoneLast4: "2222" })).toEqual([ids.b]);
    expect(await find({ idLast4: "108x" })).toEqual([ids.b]);
  });

  test("by date range in Beijing days, both ends included", async () => {
    expect(await find({ from: "2026-10-05", to: "2026-10-09" })).toEqual([ids.c, ids.b]);
    expect(await find({ to: "2026-10-04" })).toEqual([ids.a]);
  });

  test("by state", async () => {
    expect(await find({ state: "cancelled" })).toEqual([ids.b]);
    expect(await find({ state: "awaiting_payment" })).toEqual([ids.c, ids.a]);
  });

  test("refuses malformed filters instead of ignoring them", () => {
    expect(OrderSearch.safeParse({ phoneLast4: "12a4" }).success).toBe(false);
    expect(OrderSearch.safeParse({ state: "nonsense" }).success).toBe(false);
    expect(OrderSearch.safeParse({ page: "0" }).success).toBe(false);
  });

  test("pages hold 50 rows and say whether another follows", async () => {
    const r = await searchOrders(db, OrderSearch.parse({}));
    expect(r.rows.length).toBeLessThanOrEqual(50);
    expect(r.hasNext).toBe(false);
  });
});
