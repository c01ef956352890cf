import "@/tests/helpers/env";
import { CONSENT_VERSIONS } from "@/lib/consent";
import { envPayments } from "@/tests/helpers/payments";
import { beforeAll, describe, expect, it } from "vitest";
import { addOneYear } from "@/lib/pki/issue";
import { DAY } from "@/lib/clock";
import { getConfig } from "@/lib/config";
import type { Db } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { createCaptcha } from "@/lib/captcha";
import {
  cancel,
  confirmOrder,
  holderLogin,
  orderStatus,
  renewalSummary,
  saveHandler,
  skipInvoice,
} from "@/lib/renewal/flow";
import type { HandlerInfo } from "@/lib/renewal/handler";
import { holder, holderActor, newClock, saveDraft, useRenewWorld, signedChallenge, type Holder } from "./fixture";

let db: Db;
let ca: Ca;
let ipCounter = 0;

const handler: HandlerInfo = {
  name: "张三",
  idType: "resident_id",
  idNumber: "11010519491231002X",
  mobile: "13812345678",
  email: "zhangsan@example.cn",
};

const world = useRenewWorld();
beforeAll(() => ({ db, ca } = world));

function actor() {
  return { ...holderActor, ip: `10.0.0.${++ipCounter}` };
}

async function login(h: Holder, clock = newClock()) {
  return holderLogin(db, {
    ...(await signedChallenge(db, h, clock)),
    origin: getConfig().publicOrigin,
    actor: actor(),
    clock,
  });
}

function draft(h: Holder, clock = newClock()) {
  return saveDraft(db, h.row.id, handler, { actor: actor(), clock });
}

describe("holder login", () => {
  it("signs an eligible holder in and starts at the handler form", async () => {
    const h = await holder(db, ca, { daysLeft: 10 });
    const r = await login(h);
    expect(r.step).toBe("handler");
    const session = await db.session.findUniqueOrThrow({ where: { id: r.session.id } });
    expect([session.kind, session.certificateId]).toEqual(["holder", h.row.id]);
  });

  it("refuses renewal 31 days before expiry with the opening date, and creates no session", async () => {
    const h = await holder(db, ca, { daysLeft: 31 });
    const before = await db.session.count();
    const err = await login(h).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "RENEWAL_TOO_EARLY",
      details: { opensAt: new Date(h.row.notAfter.getTime() - 30 * DAY).toISOString() },
    });
    expect(await db.session.count()).toBe(before);
  });

  it("refuses an expired certificate and sends the holder to the service centre", async () => {
    const h = await holder(db, ca, { daysLeft: -1 });
    await expect(login(h)).rejects.toMatchObject({ code: "RENEWAL_EXPIRED" });
    expect(await db.renewalOrder.count({ where: { certificateId: h.row.id } })).toBe(0);
  });

  it("resumes the open order at its step when the same key signs in again", async () => {
    const h = await holder(db, ca, { payerClass: "self", certType: "organisation" });
    await login(h);
    const order = await draft(h);
    expect((await login(h)).step).toBe("review");
    await confirmOrder(db, {
      keys: getConfig(),
      consent: { ...CONSENT_VERSIONS },
      certificateId: h.row.id,
      orderId: order.id,
      actor: actor(),
      clock: newClock(),
    });
    expect((await login(h)).step).toBe("pay");
  });
});

describe("the wizard steps", () => {
  it("show the holder's masked ID, validity in days (old expiry + 1 year − now) and the price", async () => {
    const clock = newClock();
    const self = await holder(db, ca, { certType: "organisation", payerClass: "self", daysLeft: 10 });
    const s = await renewalSummary(db, { keys: getConfig(), certificateId: self.row.id, clock });
    expect(s.certificate.holderIdMasked).toBe("3701**********1234");
    expect(s.priceFen).toBe(10000);
    expect(s.newNotAfter).toBe(addOneYear(self.row.notAfter).toISOString());
    expect(s.validityDays).toBe(Math.ceil((addOneYear(self.row.notAfter).getTime() - clock.now().getTime()) / DAY));
    expect(s.validityDays).toBeGreaterThanOrEqual(375);
    const unified = await holder(db, ca, { payerClass: "unified" });
    expect((await renewalSummary(db, { keys: getConfig(), certificateId: unified.row.id, clock })).priceFen).toBe(0);
  });

  it("refuses a wrong captcha and creates no order; the captcha cannot be tried twice", async () => {
    const h = await holder(db, ca);
    const clock = newClock();
    const captcha = await createCaptcha(db, clock, "flow-test", getConfig());
    const attempt = () =>
      saveHandler(db, {
        keys: getConfig(),
        config: getConfig(),
        certificateId: h.row.id,
        handler,
        captchaId: captcha.id,
        captchaAnswer: "zzzz",
        actor: actor(),
        clock,
        locale: "zh-CN",
      });
    await expect(attempt()).rejects.toMatchObject({ code: "CAPTCHA_INVALID" });
    await expect(attempt()).rejects.toMatchObject({ code: "CAPTCHA_INVALID" });
    expect(await db.renewalOrder.count({ where: { certificateId: h.row.id } })).toBe(0);
  });

  it("keeps one draft per certificate: 返回修改 changes the same order's handler", async () => {
    const h = await holder(db, ca);
    const first = await draft(h);
    const again = await saveDraft(db, h.row.id, { ...handler, name: "李四" }, { actor: actor() });
    expect(again.id).toBe(first.id);
    expect(again.handler).toMatchObject({
      name: "李四",
      idNumberMasked: "1101**********002X",
      mobileMasked: "138****5678",
    });
    expect(await db.renewalOrder.count({ where: { certificateId: h.row.id } })).toBe(1);
  });

  it("sends unified-payment orders straight to 下证 and self-paying ones to payment", async () => {
    const unified = await holder(db, ca, { payerClass: "unified" });
    const u = await draft(unified);
    expect(
      (
        await confirmOrder(db, {
          keys: getConfig(),
          consent: { ...CONSENT_VERSIONS },
          certificateId: unified.row.id,
          orderId: u.id,
          actor: actor(),
          clock: newClock(),
        })
      ).step,
    ).toBe("issue");
    const self = await holder(db, ca, { payerClass: "self" });
    const s = await draft(self);
    const confirmed = await confirmOrder(db, {
      keys: getConfig(),
      consent: { ...CONSENT_VERSIONS },
      certificateId: self.row.id,
      orderId: s.id,
      actor: actor(),
      clock: newClock(),
    });
    expect([confirmed.step, confirmed.state, confirmed.priceFen]).toEqual(["pay", "awaiting_payment", 5000]);
  });

  it("does not let a holder act on another certificate's order", async () => {
    const a = await holder(db, ca);
    const b = await holder(db, ca);
    const order = await draft(a);
    await expect(
      confirmOrder(db, {
        keys: getConfig(),
        consent: { ...CONSENT_VERSIONS },
        certificateId: b.row.id,
        orderId: order.id,
        actor: actor(),
        clock: newClock(),
      }),
    ).rejects.toMatchObject({ code: "RENEWAL_NO_ORDER" });
    await expect(
      cancel(db, {
        pay: envPayments,
        keys: getConfig(),
        certificateId: b.row.id,
        orderId: order.id,
        actor: actor(),
        clock: newClock(),
      }),
    ).rejects.toMatchObject({ code: "RENEWAL_NO_ORDER" });
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("draft");
  });

  it("取消申请 frees the certificate for a new application", async () => {
    const h = await holder(db, ca);
    const first = await draft(h);
    const cancelled = await cancel(db, {
      pay: envPayments,
      keys: getConfig(),
      certificateId: h.row.id,
      orderId: first.id,
      actor: actor(),
      clock: newClock(),
    });
    expect(cancelled.state).toBe("cancelled");
    expect((await orderStatus(db, { keys: getConfig(), certificateId: h.row.id })).step).toBe("handler");
    const second = await draft(h);
    expect(second.id).not.toBe(first.id);
  });
});

describe("跳过 the invoice step", () => {
  async function skipped(sessionId: string): Promise<unknown> {
    return (await db.session.findUniqueOrThrow({ where: { id: sessionId } })).data;
  }

  it("adds the order to the session's list once, keeps what else the session holds, and mends a list that is not one", async () => {
    const h = await holder(db, ca);
    const { session } = await login(h);
    const order = await draft(h);
    const skip = () =>
      skipInvoice(db, { sessionId: session.id, certificateId: h.row.id, orderId: order.id, keys: getConfig() });

    await db.session.update({ where: { id: session.id }, data: { data: { invoiceSkipped: ["earlier"], kept: 1 } } });
    expect((await skip()).id).toBe(order.id);
    expect(await skipped(session.id)).toEqual({ invoiceSkipped: ["earlier", order.id], kept: 1 });
    await skip();
    expect(await skipped(session.id)).toEqual({ invoiceSkipped: ["earlier", order.id], kept: 1 });

    await db.session.update({ where: { id: session.id }, data: { data: { invoiceSkipped: "not a list" } } });
    await skip();
    expect(await skipped(session.id)).toEqual({ invoiceSkipped: [order.id] });
  });

  it("refuses another certificate's order and leaves the session as it was", async () => {
    const [a, b] = [await holder(db, ca), await holder(db, ca)];
    const { session } = await login(a);
    const other = await draft(b);
    await expect(
      skipInvoice(db, { sessionId: session.id, certificateId: a.row.id, orderId: other.id, keys: getConfig() }),
    ).rejects.toMatchObject({ code: "ORDER_NOT_FOUND" });
    expect(await skipped(session.id)).toEqual({});
  });
});
