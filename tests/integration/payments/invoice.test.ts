import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "@/tests/helpers/db";
import { fixedClock } from "@/lib/clock";
import type { Db, OpenDb } from "@/lib/db";
import { markInvoiceIssued, saveInvoice } from "@/lib/payments/invoice";
import { insertOrder } from "./harness";

let opened: OpenDb;
let db: Db;
const clock = fixedClock("2026-11-25T03:00:00Z");
const holder = { type: "holder" as const, id: "cert-1", ip: "127.0.0.1", userAgent: "test" };
const finance = { type: "staff" as const, id: "finance-1", ip: "127.0.0.1", userAgent: "test" };
const org = { type: "organisation", title: "德州市测试有限公司", taxpayerId: "914403001922038216", email: "fin@example.com" };

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
    await saveInvoice(db, { orderId: order.id, details: { ...org, title: "德州市测试有限公司（更正）" }, actor: holder, clock });
    expect((await db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).title).toBe("德州市测试有限公司（更正）");
    expect(await db.mailOutbox.count({ where: { orderId: order.id, template: "invoice_received" } })).toBe(2);

    const issued = await markInvoiceIssued(db, { orderId: order.id, actor: finance, clock });
    expect([issued.issuedAt?.toISOString(), issued.issuedBy]).toEqual([clock.now().toISOString(), "finance-1"]);
    await expect(saveInvoice(db, { orderId: order.id, details: org, actor: holder, clock })).rejects.toMatchObject({ code: "INVOICE_LOCKED" });
    expect((await db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).title).toBe("德州市测试有限公司（更正）");
    const actions = (await db.auditEvent.findMany({ where: { targetId: order.id }, orderBy: { seq: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["invoice.submitted", "invoice.updated", "invoice.issued"]);
  });

  it("are refused before payment and after a refund", async () => {
    for (const state of ["awaiting_payment", "refunded"] as const) {
      const order = await insertOrder(db, clock, { state });
      await expect(saveInvoice(db, { orderId: order.id, details: org, actor: holder, clock })).rejects.toMatchObject({ code: "INVOICE_NOT_ALLOWED" });
    }
  });

  it("with a wrong credit code are refused field by field and nothing is stored", async () => {
    const order = await insertOrder(db, clock, { state: "issued" });
    await expect(saveInvoice(db, { orderId: order.id, details: { ...org, taxpayerId: "914403001922038217" }, actor: holder, clock })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      details: { fields: { taxpayerId: "taxpayerIdInvalid" } },
    });
    expect(await db.invoice.count({ where: { orderId: order.id } })).toBe(0);
  });

  it("cannot be marked issued before they exist", async () => {
    const order = await insertOrder(db, clock, { state: "paid" });
    await expect(markInvoiceIssued(db, { orderId: order.id, actor: finance, clock })).rejects.toMatchObject({ code: "INVOICE_NOT_FOUND" });
  });
});
