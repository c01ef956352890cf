import "@/tests/helpers/env";
import { getConfig } from "@/lib/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "@/tests/helpers/db";
import { fixedClock } from "@/lib/dev/testing/clock";
import type { Db, OpenDb } from "@/lib/db";
import { invoiceLinkView, markInvoiceIssued, saveInvoice, saveInvoiceByLink } from "@/lib/payments/invoice";
import { unsubscribeToken } from "@/lib/mail/unsubscribe";
import { invoiceLinkToken } from "@/lib/crypto/link-token";
import { transitionOrder } from "@/lib/orders/machine";
import { renderMail } from "@/lib/mail/templates";
import { insertOrder } from "./harness";
import { withTx } from "@/lib/audit";

let opened: OpenDb;
let db: Db;
const clock = fixedClock("2026-11-25T03:00:00Z");
const holder = { type: "holder" as const, id: "cert-1", ip: "127.0.0.1", userAgent: "test" };
const finance = { type: "staff" as const, id: "finance-1", ip: "127.0.0.1", userAgent: "test" };
const org = {
  type: "organisation",
  title: "德州市测试有限公司",
  taxpayerId: "914403001922038216",
  email: "fin@example.com",
};

beforeAll(async () => {
  opened = await createTestDb();
  db = opened.prisma as Db;
});
afterAll(async () => {
  await opened?.close();
});

describe("invoice details", () => {
  it("are saved after payment, audited, and confirmed by mail; editable until issued, then locked", async () => {
    const order = await insertOrder(db, clock, { state: "paid" });
    const first = await saveInvoice(db, { orderId: order.id, details: org, actor: holder, clock });
    expect([first.type, first.taxpayerId, first.issuedAt]).toEqual(["organisation", "914403001922038216", null]);
    await saveInvoice(db, {
      orderId: order.id,
      details: { ...org, title: "德州市测试有限公司（更正）" },
      actor: holder,
      clock,
    });
    expect((await db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).title).toBe(
      "德州市测试有限公司（更正）",
    );
    expect(await db.mailOutbox.count({ where: { orderId: order.id, template: "invoice_received" } })).toBe(2);

    const issued = await markInvoiceIssued(db, { orderId: order.id, actor: finance, clock });
    expect([issued.issuedAt?.toISOString(), issued.issuedBy]).toEqual([clock.now().toISOString(), "finance-1"]);
    await expect(saveInvoice(db, { orderId: order.id, details: org, actor: holder, clock })).rejects.toMatchObject({
      code: "INVOICE_LOCKED",
    });
    expect((await db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).title).toBe(
      "德州市测试有限公司（更正）",
    );
    const actions = (await db.auditEvent.findMany({ where: { targetId: order.id }, orderBy: { seq: "asc" } })).map(
      (a) => a.action,
    );
    expect(actions).toEqual(["invoice.submitted", "invoice.updated", "invoice.issued"]);
  });

  it("are refused before payment and after a refund", async () => {
    for (const state of ["awaiting_payment", "refunded"] as const) {
      const order = await insertOrder(db, clock, { state });
      await expect(saveInvoice(db, { orderId: order.id, details: org, actor: holder, clock })).rejects.toMatchObject({
        code: "INVOICE_NOT_ALLOWED",
      });
    }
  });

  it("with a wrong credit code are refused field by field and nothing is stored", async () => {
    const order = await insertOrder(db, clock, { state: "issued" });
    await expect(
      saveInvoice(db, {
        orderId: order.id,
        details: { ...org, taxpayerId: "914403001922038217" },
        actor: holder,
        clock,
      }),
    ).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      details: { fields: { taxpayerId: "taxpayerIdInvalid" } },
    });
    expect(await db.invoice.count({ where: { orderId: order.id } })).toBe(0);
  });

  it("cannot be marked issued before they exist", async () => {
    const order = await insertOrder(db, clock, { state: "paid" });
    await expect(markInvoiceIssued(db, { orderId: order.id, actor: finance, clock })).rejects.toMatchObject({
      code: "INVOICE_NOT_FOUND",
    });
  });

  it("can be given later through the order's link from the payment mail, until the invoice is issued", async () => {
    const order = await insertOrder(db, clock, { state: "awaiting_payment" });
    await withTx(db, (tx) =>
      transitionOrder(tx, {
        orderId: order.id,
        to: "paid",
        links: getConfig(),
        actor: holder,
        clock,
        set: { paidFen: order.priceFen, paidAt: clock.now() },
      }),
    );
    // the payment mail carries the link, and it renders under the main button
    const mail = await db.mailOutbox.findFirstOrThrow({ where: { orderId: order.id, template: "payment_received" } });
    const token = (mail.data as { invoiceToken: string }).invoiceToken;
    expect(token).toBe(invoiceLinkToken(getConfig(), order.id));
    const rendered = renderMail("payment_received", "zh-CN", mail.data, "https://renew.example.cn");
    expect(rendered.text).toContain(
      `填写或修改开票信息（下证后也可使用此链接）: https://renew.example.cn/invoice/${encodeURIComponent(token)}`,
    );
    expect(rendered.html).toContain(`href="https://renew.example.cn/invoice/${encodeURIComponent(token)}"`);

    expect(await invoiceLinkView(db, getConfig(), token)).toMatchObject({
      orderNo: order.orderNo,
      paidFen: order.priceFen,
      open: true,
      invoice: null,
    });
    await withTx(db, (tx) => transitionOrder(tx, { orderId: order.id, to: "issuing", actor: holder, clock }));
    const view = await saveInvoiceByLink(db, { token, details: org, actor: holder, clock, keys: getConfig() });
    expect(view).toMatchObject({
      open: true,
      invoice: {
        type: "organisation",
        title: org.title,
        taxpayerId: org.taxpayerId,
        email: "f*n@example.com",
        issued: false,
      },
    });
    await markInvoiceIssued(db, { orderId: order.id, actor: finance, clock });
    expect(await invoiceLinkView(db, getConfig(), token)).toMatchObject({ open: false, invoice: { issued: true } });
    await expect(
      saveInvoiceByLink(db, {
        token,
        details: { ...org, title: "德州市测试有限公司（更正）" },
        actor: holder,
        clock,
        keys: getConfig(),
      }),
    ).rejects.toMatchObject({ code: "INVOICE_LOCKED" });
    expect((await db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).title).toBe(org.title);
  });

  it("refuses a damaged, forged or borrowed link and changes nothing", async () => {
    const order = await insertOrder(db, clock, { state: "paid" });
    const other = await insertOrder(db, clock, { state: "paid" });
    const token = invoiceLinkToken(getConfig(), order.id);
    const bad = [
      token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"), // one character of the MAC changed
      `${other.id}.${token.split(".")[1]}`, // another order with this order's MAC
      unsubscribeToken(getConfig(), order.id), // a token made for another purpose, for the same id
      "not-a-token",
      "",
    ];
    for (const t of bad) {
      await expect(invoiceLinkView(db, getConfig(), t)).rejects.toMatchObject({ code: "INVOICE_LINK_INVALID" });
      await expect(
        saveInvoiceByLink(db, { token: t, details: org, actor: holder, clock, keys: getConfig() }),
      ).rejects.toMatchObject({
        code: "INVOICE_LINK_INVALID",
      });
    }
    expect(await db.invoice.count({ where: { orderId: { in: [order.id, other.id] } } })).toBe(0);
  });

  it("are refused through the link before payment", async () => {
    const order = await insertOrder(db, clock, { state: "awaiting_payment" });
    const token = invoiceLinkToken(getConfig(), order.id);
    expect(await invoiceLinkView(db, getConfig(), token)).toMatchObject({ open: false, invoice: null });
    await expect(
      saveInvoiceByLink(db, { token, details: org, actor: holder, clock, keys: getConfig() }),
    ).rejects.toMatchObject({
      code: "INVOICE_NOT_ALLOWED",
    });
  });
});
