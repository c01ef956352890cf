import "@/tests/helpers/env";
import { describe, expect, test } from "vitest";
import { fixedClock } from "@/lib/dev/testing/clock";
import { enqueueMail, type MailRequest } from "@/lib/outbox";
import { deliverDue } from "@/lib/mail/worker";
import { useMailTestBed } from "./smtp";
import { withTx } from "@/lib/audit";

const ctx = useMailTestBed();
const clock = fixedClock("2026-11-25T02:00:00Z");

async function sendOne(mail: MailRequest) {
  await withTx(ctx.db.prisma, (tx) => enqueueMail(tx, mail, clock));
  const r = await deliverDue(ctx.db.prisma, {
    clock,
    transport: ctx.smtp.transport(),
    origin: "https://renew.example.cn",
  });
  expect(r).toMatchObject({ claimed: 1, sent: 1 });
  expect(ctx.smtp.received).toHaveLength(1);
  return ctx.smtp.received[0];
}

const to = "handler@example.cn";

describe("each event produces exactly one mail with the right content", () => {
  test("order submitted: order number, amount, masked handler data and the order link", async () => {
    const m = await sendOne({
      to,
      template: "order_submitted",
      data: {
        orderNo: "R20261125AB12CD",
        holderName: "张三丰",
        handlerName: "李小四",
        handlerMobile: "13812345678",
        amountFen: 10000,
        years: 1,
        newNotAfter: "2027-12-03T09:38:33Z",
      },
    });
    expect(m.to).toEqual([to]);
    expect(m.subject).toBe("数字证书更新申请已提交（订单号 R20261125AB12CD）");
    for (const body of [m.text, m.html]) {
      expect(body).toContain("100.00 元");
      expect(body).toContain("138****5678");
      expect(body).toContain("张*丰");
      expect(body).toContain("李*四");
      expect(body).toContain("https://renew.example.cn/renew?order=R20261125AB12CD");
      expect(body).not.toContain("13812345678");
      expect(body).not.toContain("张三丰");
    }
    expect(m.text).toContain("新证书有效期至: 2027-12-03 17:38:33");
    expect(m.messageId).toMatch(/^<[0-9a-f-]{36}@renew\.example\.cn>$/);
  });

  test("order submitted under unified payment says no payment is due", async () => {
    const m = await sendOne({
      to,
      template: "order_submitted",
      data: {
        orderNo: "R1",
        holderName: "张三",
        handlerName: "李四",
        amountFen: 0,
        years: 1,
        newNotAfter: "2027-12-03T09:38:33Z",
      },
    });
    expect(m.text).toContain("金额: 无需支付");
  });

  test("payment received in English", async () => {
    const m = await sendOne({
      to,
      locale: "en",
      template: "payment_received",
      data: { orderNo: "R2", amountFen: 5000, paidAt: "2026-11-25T02:00:00Z", tradeNo: "2026112522001" },
    });
    expect(m.subject).toBe("Payment received (order R2)");
    expect(m.text).toContain("We received CNY 50.00 for order R2.");
    expect(m.text).toContain("Paid at: 2026-11-25 10:00:00");
    expect(m.html).toContain('lang="en"');
  });

  test("certificate issued shows the new validity", async () => {
    const m = await sendOne({
      to,
      template: "certificate_issued",
      data: {
        orderNo: "R3",
        holderName: "张三丰",
        serial: "0a1b2c",
        notBefore: "2026-11-25T02:00:00Z",
        notAfter: "2027-12-03T09:38:33Z",
      },
    });
    expect(m.subject).toContain("R3");
    expect(m.text).toContain("有效期起: 2026-11-25 10:00:00");
    expect(m.text).toContain("有效期至: 2027-12-03 17:38:33");
    expect(m.text).toContain("0a1b2c");
  });

  test("refund made shows the amount", async () => {
    const m = await sendOne({
      to,
      template: "refund_made",
      data: { orderNo: "R4", amountFen: 10000, refundedAt: "2026-11-25T02:00:00Z", reason: "订单已取消" },
    });
    expect(m.subject).toBe("退款已完成（订单号 R4）");
    expect(m.text).toContain("100.00 元");
    expect(m.text).toContain("原因: 订单已取消");
  });

  test("revocation confirmed links to the status page", async () => {
    const m = await sendOne({
      to,
      template: "revocation_confirmed",
      data: { holderName: "张三丰", serial: "0a1b2c", revokedAt: "2026-11-25T02:00:00Z" },
    });
    expect(m.subject).toBe("证书已注销（序列号 0a1b2c）");
    expect(m.text).toContain("https://renew.example.cn/status");
  });

  test("unlock code carries the code and its expiry", async () => {
    const m = await sendOne({
      to,
      template: "unlock_code",
      data: { holderName: "张三丰", code: "482913", expiresAt: "2026-11-25T02:10:00Z" },
    });
    expect(m.text).toContain("验证码为 482913");
    expect(m.text).toContain("2026-11-25 10:10:00");
  });

  test("invoice received masks the taxpayer id and the e-mail", async () => {
    const m = await sendOne({
      to,
      template: "invoice_received",
      data: {
        orderNo: "R5",
        invoiceType: "personal",
        title: "张三丰",
        taxpayerId: "370102199001011234",
        email: "zhangsan@example.cn",
      },
    });
    expect(m.text).toContain("3701**********1234");
    expect(m.text).toContain("z******n@example.cn");
    expect(m.text).toContain("发票类型: 个人");
    expect(m.text).not.toContain("370102199001011234");
  });

  test("expiry reminder has the renewal link, window dates and an unsubscribe link", async () => {
    const m = await sendOne({
      to,
      template: "expiry_reminder",
      data: {
        holderName: "张三丰",
        serial: "0a1b2c",
        notAfter: "2026-12-03T09:38:33Z",
        opensAt: "2026-11-03T09:38:33Z",
        daysLeft: 8,
        unsubscribeToken: "abc.def0123456789",
      },
    });
    expect(m.subject).toBe("您的数字证书将于 8 天后到期，请及时在线更新");
    expect(m.text).toContain("（2026-11-03 17:38:33 起至 2026-12-03 17:38:33 止）");
    expect(m.text).toContain("在线更新证书: https://renew.example.cn/renew");
    expect(m.text).toContain("https://renew.example.cn/unsubscribe/abc.def0123456789");
    expect(m.headers.get("list-unsubscribe")).toBe("<https://renew.example.cn/unsubscribe/abc.def0123456789>");
  });

  test("interpolated values are HTML-escaped", async () => {
    const m = await sendOne({
      to,
      template: "refund_made",
      data: { orderNo: "R6", amountFen: 1, refundedAt: "2026-11-25T02:00:00Z", reason: `<script>alert("x")</script>&` },
    });
    expect(m.html).not.toContain("<script>");
    expect(m.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;");
    expect(m.text).toContain(`<script>alert("x")</script>&`);
  });
});

test("the outbox stores personal data masked, never in clear", async () => {
  const row = await withTx(ctx.db.prisma, (tx) =>
    enqueueMail(
      tx,
      {
        to,
        template: "order_submitted",
        data: {
          orderNo: "R7",
          holderName: "张三丰",
          handlerName: "李小四",
          handlerMobile: "13812345678",
          amountFen: 5000,
          years: 1,
          newNotAfter: "2027-12-03T09:38:33Z",
        },
      },
      clock,
    ),
  );
  const stored = JSON.stringify((await ctx.db.prisma.mailOutbox.findUniqueOrThrow({ where: { id: row.id } })).data);
  expect(stored).toContain("138****5678");
  expect(stored).not.toContain("13812345678");
  expect(stored).not.toContain("张三丰");
});

test("data that does not fit the template is refused when queued, nothing stored", async () => {
  const before = await ctx.db.prisma.mailOutbox.count();
  await expect(
    withTx(ctx.db.prisma, (tx) =>
      enqueueMail(
        tx,
        { to, template: "payment_received", data: { orderNo: "R8", amountFen: -1, paidAt: "2026-11-25T02:00:00Z" } },
        clock,
      ),
    ),
  ).rejects.toThrow();
  await expect(
    withTx(ctx.db.prisma, (tx) =>
      enqueueMail(
        tx,
        {
          to: "not-an-address",
          template: "payment_received",
          data: { orderNo: "R8", amountFen: 1, paidAt: "2026-11-25T02:00:00Z" },
        },
        clock,
      ),
    ),
  ).rejects.toThrow();
  expect(await ctx.db.prisma.mailOutbox.count()).toBe(before);
});
