import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "@/lib/config";
import { invoiceLinkToken } from "@/lib/crypto/link-token";
import { INVOICE_MAIL_LIMITS, invoiceLinkView, saveInvoice } from "@/lib/payments/invoice";
import {
  confirmInvoiceEmail,
  INVOICE_CONFIRM_LIMITS,
  INVOICE_CONFIRM_TTL_MS,
  invoiceConfirmationView,
} from "@/lib/payments/invoice-email";
import { orderDetail } from "@/lib/staff/orders";
import { renderMail } from "@/lib/mail/templates";
import { maskEmail } from "@/lib/privacy/mask";
import { HOUR, systemClock } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { insertOrder } from "@/tests/integration/payments/harness";
import * as invoiceLink from "@/app/api/invoice/[token]/route";
import { call, securityWorld, type SecurityWorld } from "./harness";

/** Issue 21 item 5: the invoice link is not a mail relay. */

let w: SecurityWorld;
beforeAll(async () => {
  w = await securityWorld();
});
afterAll(async () => {
  await w?.close();
});

/** 20 posts through the order's invoice link, each with an attacker's title and another address `<prefix><i>@…` */
async function spamThroughLink(orderId: string, prefix: string): Promise<Response[]> {
  const token = invoiceLinkToken(getConfig(), orderId);
  const answers: Response[] = [];
  for (let i = 0; i < 20; i++) {
    const details = { type: "personal", title: `买便宜发票加微信 spam${i}`, email: `${prefix}${i}@example.org` };
    answers.push(
      await invoiceLink.POST(call(w.origin, `/api/invoice/${token}`, { ip: `198.51.100.${i}` }, { details }), {
        params: Promise.resolve({ token }),
      }),
    );
  }
  return answers;
}

describe("the invoice link (item 5)", () => {
  it("20 posts with attacker titles and addresses mail no attacker address and at most the day's few mails", async () => {
    const order = await insertOrder(w.db, systemClock, { state: "paid" });
    const answers = await spamThroughLink(order.id, "victim");
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const mails = await w.db.mailOutbox.findMany({ where: { template: "invoice_received" } });
    expect(mails.filter((m) => m.to.endsWith("@example.org"))).toEqual([]);
    expect(mails.length).toBeLessThanOrEqual(INVOICE_MAIL_LIMITS.order.max);
    expect(new Set(mails.map((m) => m.to))).toEqual(new Set([order.handlerEmail]));
    // the details finance needs are stored all the same
    expect((await w.db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).email).toBe("victim19@example.org");
  });

  it("mails an attacker-chosen address only a confirmation link that carries none of the attacker's words", async () => {
    const order = await insertOrder(w.db, systemClock, { state: "paid" });
    for (const res of await spamThroughLink(order.id, "target")) {
      expect(res.status).toBe(200);
      expect(((await res.json()) as { invoice: { emailPending: boolean } }).invoice.emailPending).toBe(true);
    }
    const mails = await w.db.mailOutbox.findMany({ where: { orderId: order.id, template: "invoice_email_confirm" } });
    expect(mails.length).toBe(INVOICE_CONFIRM_LIMITS.order.max);
    for (const m of mails) {
      expect(Object.keys(m.data as object).sort()).toEqual(["confirmToken", "orderNo"]);
      const r = renderMail("invoice_email_confirm", "zh-CN", m.data, w.origin);
      for (const body of [r.subject, r.text, r.html]) expect(body).not.toMatch(/买便宜发票|spam/);
      expect(r.text).toContain(`${w.origin}/invoice/confirm/`);
    }
    // nothing the attacker named is used for the e-invoice: finance sends it to the handler
    const inv = await w.db.invoice.findUniqueOrThrow({ where: { orderId: order.id } });
    expect(inv.emailConfirmedAt).toBeNull();
    expect((await orderDetail(w.db, order.id)).invoiceDelivery).toMatchObject({ confirmed: false });
  });

  it("an address mailed too often in a day from several orders gets no more confirmation mails", async () => {
    for (let i = 0; i < INVOICE_CONFIRM_LIMITS.recipient.max + 2; i++) {
      const order = await insertOrder(w.db, systemClock, { state: "paid" });
      await saveInvoice(w.db, {
        orderId: order.id,
        details: { type: "personal", title: "张三", email: "one-target@example.org" },
        actor: { type: "holder", id: null, ip: "198.51.100.200" },
        clock: systemClock,
      });
    }
    expect(await w.db.mailOutbox.count({ where: { to: "one-target@example.org" } })).toBe(
      INVOICE_CONFIRM_LIMITS.recipient.max,
    );
  });
});

describe("confirming a changed invoice address (item 5)", () => {
  const holder = { type: "holder" as const, id: null, ip: "198.51.100.7", userAgent: "vitest" };
  const details = (email: string, title = "德州市测试有限公司") => ({
    type: "organisation",
    title,
    taxpayerId: "914403001922038216",
    email,
  });
  const confirmToken = async (orderId: string, to: string) =>
    String(
      (
        (
          await w.db.mailOutbox.findFirstOrThrow({
            where: { orderId, template: "invoice_email_confirm", to },
            orderBy: { createdAt: "desc" },
          })
        ).data as { confirmToken: string }
      ).confirmToken,
    );

  it("the handler's own address needs no confirmation", async () => {
    const clock = fixedClock("2026-12-03T02:00:00Z");
    const order = await insertOrder(w.db, clock, { state: "paid" });
    await saveInvoice(w.db, { orderId: order.id, details: details("Handler@Example.com"), actor: holder, clock });
    expect((await w.db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).emailConfirmedAt).toEqual(
      clock.now(),
    );
    expect(await w.db.mailOutbox.count({ where: { orderId: order.id, template: "invoice_email_confirm" } })).toBe(0);
    expect((await orderDetail(w.db, order.id)).invoiceDelivery).toMatchObject({ confirmed: true, pending: null });
  });

  it("another address is used once its owner follows the single-use link; finance sees the details meanwhile", async () => {
    const clock = fixedClock("2026-12-03T02:00:00Z");
    // a handler of its own: the other tests used up the day's mails to the fixture's handler address
    const order = await w.db.renewalOrder.update({
      where: { id: (await insertOrder(w.db, clock, { state: "paid" })).id },
      data: { handlerEmail: "handler-round-trip@example.com" },
    });
    await saveInvoice(w.db, { orderId: order.id, details: details("fin@example.net"), actor: holder, clock });
    const inv = await w.db.invoice.findUniqueOrThrow({ where: { orderId: order.id } });
    expect([inv.title, inv.email, inv.emailConfirmedAt]).toEqual(["德州市测试有限公司", "fin@example.net", null]);
    const before = (await orderDetail(w.db, order.id)).invoiceDelivery!;
    expect(before.confirmed).toBe(false);
    expect(before.to).not.toContain("example.net");
    // the handler is told where the e-invoice goes meanwhile, and which address awaits its owner
    const told = await w.db.mailOutbox.findFirstOrThrow({ where: { orderId: order.id, template: "invoice_received" } });
    expect(told.to).toBe(order.handlerEmail);
    const said = renderMail("invoice_received", "zh-CN", told.data, w.origin).text;
    expect(said).toContain(maskEmail(order.handlerEmail));
    expect(said).toContain(maskEmail("fin@example.net"));
    const link = await confirmToken(order.id, "fin@example.net");
    // stored hashed: the token itself is nowhere in the table
    const rows = await w.db.invoiceEmailConfirmation.findMany({ where: { orderId: order.id } });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(link);
    // opening the link (a mail scanner) confirms nothing
    expect(await invoiceConfirmationView(w.db, link, clock)).toMatchObject({ orderNo: order.orderNo, state: "open" });
    expect((await w.db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).emailConfirmedAt).toBeNull();
    const actor = { type: "holder" as const, id: null, ip: "203.0.113.5" };
    expect(await confirmInvoiceEmail(w.db, { token: link, actor, clock })).toMatchObject({ state: "confirmed" });
    expect((await orderDetail(w.db, order.id)).invoiceDelivery).toMatchObject({ confirmed: true, pending: null });
    expect((await invoiceLinkView(w.db, getConfig(), invoiceLinkToken(getConfig(), order.id))).invoice).toMatchObject({
      emailPending: false,
    });
    const audit = await w.db.auditEvent.findMany({ where: { targetId: order.id, action: "invoice.email_confirmed" } });
    expect(audit).toHaveLength(1);
    // single use
    await expect(confirmInvoiceEmail(w.db, { token: link, actor, clock })).rejects.toMatchObject({
      code: "INVOICE_CONFIRM_INVALID",
    });
    // a correction of the title keeps the confirmed address and mails nothing new
    await saveInvoice(w.db, {
      orderId: order.id,
      details: details("fin@example.net", "德州市测试有限公司（更正）"),
      actor: holder,
      clock,
    });
    expect((await w.db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).emailConfirmedAt).not.toBeNull();
    expect(await w.db.mailOutbox.count({ where: { orderId: order.id, template: "invoice_email_confirm" } })).toBe(1);
  });

  it("a link expires, and a link for an address the details no longer name confirms nothing", async () => {
    const clock = fixedClock("2026-12-03T02:00:00Z");
    const order = await insertOrder(w.db, clock, { state: "paid" });
    await saveInvoice(w.db, { orderId: order.id, details: details("first@example.net"), actor: holder, clock });
    const first = await confirmToken(order.id, "first@example.net");
    await saveInvoice(w.db, { orderId: order.id, details: details("second@example.net"), actor: holder, clock });
    const second = await confirmToken(order.id, "second@example.net");
    const actor = { type: "holder" as const, id: null, ip: "203.0.113.6" };
    await expect(confirmInvoiceEmail(w.db, { token: first, actor, clock })).rejects.toMatchObject({
      code: "INVOICE_CONFIRM_INVALID",
    });
    await expect(invoiceConfirmationView(w.db, "x".repeat(43), clock)).rejects.toMatchObject({
      code: "INVOICE_CONFIRM_INVALID",
    });
    const late = fixedClock(new Date(clock.now().getTime() + INVOICE_CONFIRM_TTL_MS + HOUR).toISOString());
    await expect(confirmInvoiceEmail(w.db, { token: second, actor, clock: late })).rejects.toMatchObject({
      code: "INVOICE_CONFIRM_INVALID",
    });
    expect((await w.db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).emailConfirmedAt).toBeNull();
  });
});
