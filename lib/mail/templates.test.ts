import "@/tests/helpers/env";
import { describe, expect, test } from "vitest";
import { mail } from "../messages/mail";
import { MAIL_TEMPLATES, prepareMailData, type MailData, type MailTemplate } from "../outbox/mail-data";
import { escapeHtml, renderMail } from "./templates";

const samples: { [T in MailTemplate]: MailData<T> } = {
  order_submitted: {
    orderNo: "R1",
    holderName: "张三丰",
    handlerName: "李四",
    handlerMobile: "13812345678",
    amountFen: 10000,
    years: 1,
    newNotAfter: "2027-01-01T00:00:00Z",
    paymentDeadline: "2026-11-25T02:30:00Z",
  },
  payment_received: { orderNo: "R1", amountFen: 10000, paidAt: new Date("2026-11-25T02:00:00Z"), tradeNo: "T1" },
  certificate_issued: {
    orderNo: "R1",
    holderName: "张三丰",
    serial: "0a",
    notBefore: "2026-11-25T02:00:00Z",
    notAfter: "2027-01-01T00:00:00Z",
  },
  refund_made: { orderNo: "R1", amountFen: 10000, refundedAt: "2026-11-25T02:00:00Z", reason: "r" },
  revocation_confirmed: {
    holderName: "张三丰",
    serial: "0a",
    revokedAt: "2026-11-25T02:00:00Z",
    reason: "r",
    orderNo: "R1",
  },
  unlock_code: { holderName: "张三丰", serial: "0a", code: "123456", expiresAt: "2026-11-25T02:10:00Z" },
  invoice_received: {
    orderNo: "R1",
    invoiceType: "organisation",
    title: "德州某某有限公司",
    taxpayerId: "91371400MA3C000000",
    email: "fin@example.cn",
    pendingEmail: "other@example.cn",
  },
  audit_daily: { day: "2026-12-03", count: "1", checkpoints: ['{"v":2,"seq":1,"hash":"ab","mac":"cd"}'] },
  invoice_email_confirm: { orderNo: "R1", confirmToken: "Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OQ" },
  expiry_reminder: {
    holderName: "张三丰",
    serial: "0a",
    notAfter: "2026-12-01T00:00:00Z",
    opensAt: "2026-11-01T00:00:00Z",
    daysLeft: 6,
    unsubscribeToken: "id.signature0123",
  },
  org_expiry_report: {
    organisationName: "德州市统一付费示范单位",
    holderCount: "2",
    holders: ["张伟 0a 2026-12-01 08:00:00", "王芳 0b 2026-12-02 08:00:00"],
  },
};

describe.each(MAIL_TEMPLATES)("template %s", (template) => {
  test.each(["zh-CN", "en"] as const)("renders in %s with every placeholder filled", (locale) => {
    const r = renderMail(
      template,
      locale,
      prepareMailData(template, samples[template] as Record<string, unknown>),
      "https://renew.example.cn",
    );
    for (const s of [r.subject, r.text, r.html]) expect(s).not.toMatch(/\{\w+\}/);
    expect(r.html).toContain("https://renew.example.cn/");
    expect(r.text).toContain("96701666");
  });
  test("refuses unknown fields", () => {
    expect(() => prepareMailData(template, { ...samples[template], extra: 1 })).toThrow();
  });
});

test("zh-CN and en mail texts have the same keys", () => {
  const keys = (o: object, p = ""): string[] =>
    Object.entries(o).flatMap(([k, v]) => (typeof v === "object" ? keys(v as object, `${p}${k}.`) : [`${p}${k}`]));
  expect(keys(mail.en).sort()).toEqual(keys(mail["zh-CN"]).sort());
});

test("escapeHtml escapes the five characters that matter", () => {
  expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
});
