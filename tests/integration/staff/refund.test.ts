import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { beforeAll, describe, expect, test } from "vitest";
import { setProcessDb } from "@/lib/db";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { payTrade } from "@/lib/dev/alipay-sandbox/trades";
import { staffCall, staffSessions } from "@/tests/helpers/staff";
import { POST as refundRoute } from "@/app/api/staff/orders/[id]/refund/route";
import { POST as invoiceIssuedRoute } from "@/app/api/staff/orders/[id]/invoice-issued/route";
import { saveInvoice } from "@/lib/payments/invoice";
import { insertOrder, tradeNoOf, type Harness, useHarness } from "../payments/harness";

/** Finance refunds a payment made in the Alipay emulator, through the staff API route, as the console does. */
const harness = useHarness();
let h: Harness;
let sessions: Record<string, { token: string; csrf: string }> = {};

beforeAll(async () => {
  h = harness();
  setProcessDb({ prisma: h.db, kind: "pglite", close: async () => {} });
  sessions = await staffSessions(h.db, "pay", ["helpdesk", "finance"]);
});

function post(role: string, orderId: string, body: unknown, route = refundRoute) {
  return staffCall(route, sessions[role], body, { id: orderId });
}

async function paidOrder() {
  const order = await insertOrder(h.db, h.clock);
  const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
  await payTrade(h.env, tradeNoOf(start.qrCode));
  await h.deliver();
  expect((await h.db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("paid");
  return order;
}

describe("refunds from the staff console", () => {
  test("helpdesk may not refund; nothing changes", async () => {
    const order = await paidOrder();
    const res = await post("helpdesk", order.id, { reason: "holder asked" });
    expect(res.status).toBe(403);
    expect(await h.db.refund.count({ where: { orderId: order.id } })).toBe(0);
  });

  test("a refund needs a reason", async () => {
    const order = await paidOrder();
    const res = await post("finance", order.id, { reason: "" });
    expect(res.status).toBe(422);
    expect((await h.db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("paid");
  });

  test("finance refunds a sandbox payment in full: the order is refunded and the audit names the staff member and reason", async () => {
    const order = await paidOrder();
    const res = await post("finance", order.id, { reason: "holder renewed in person instead" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: "succeeded" });
    const after = await h.db.renewalOrder.findUniqueOrThrow({ where: { id: order.id }, include: { refunds: true } });
    expect(after.state).toBe("refunded");
    expect(after.refunds).toMatchObject([
      { amountFen: 10000, state: "succeeded", reason: "holder renewed in person instead" },
    ]);
    const financeId = (await h.db.staffUser.findUniqueOrThrow({ where: { username: "pay-finance" } })).id;
    expect(
      await h.db.auditEvent.findFirst({ where: { targetId: order.id, action: "refund.requested" } }),
    ).toMatchObject({ actorType: "staff", actorId: financeId, data: { reason: "holder renewed in person instead" } });
    const trade = await h.db.sandboxTrade.findUniqueOrThrow({ where: { outTradeNo: order.orderNo } });
    expect(trade.refunds).toMatchObject([{ amountFen: 10000 }]);
  });
});

describe("invoices from the staff console", () => {
  test("finance marks the holder's invoice issued, which locks it; helpdesk may not", async () => {
    const order = await paidOrder();
    await saveInvoice(h.db, {
      orderId: order.id,
      details: { type: "personal", title: "张三", email: "zhangsan@example.com" },
      actor: { type: "holder", id: "h" },
      clock: h.clock,
    });
    expect((await post("helpdesk", order.id, {}, invoiceIssuedRoute)).status).toBe(403);
    expect((await h.db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).issuedAt).toBeNull();
    const res = await post("finance", order.id, {}, invoiceIssuedRoute);
    expect(res.status).toBe(200);
    expect((await h.db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).issuedAt).not.toBeNull();
    await expect(
      saveInvoice(h.db, {
        orderId: order.id,
        details: { type: "personal", title: "李四", email: "l@example.com" },
        actor: { type: "holder", id: "h" },
        clock: h.clock,
      }),
    ).rejects.toMatchObject({ code: "INVOICE_LOCKED" });
  });
});
