import "@/tests/helpers/env";
import { beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "@/lib/config";
import type { Db } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { DAY } from "@/lib/clock";
import { verifyCaptcha } from "@/lib/captcha";
import { createTextCaptcha, textQuestion } from "@/lib/captcha/text";
import { CONSENT_VERSIONS } from "@/lib/consent";
import { cancel, confirmOrder } from "@/lib/renewal/flow";
import { ANONYMISED_NAME, ANONYMISED_SECRET, anonymiseEndedOrders } from "@/lib/renewal/retention";
import { renewabilityOf } from "@/lib/renewal/renewability";
import { exportHolderData } from "@/lib/staff/holder-export";
import { updateSetting } from "@/lib/settings/policy";
import { decryptField } from "@/lib/crypto/field";
import { envPayments } from "@/tests/helpers/payments";
import { holder, holderActor, newClock, saveDraft, useRenewWorld, type Holder } from "./fixture";

let db: Db;
let ca: Ca;

const handler = {
  name: "李经办",
  idType: "resident_id" as const,
  idNumber: "11010519491231002X",
  mobile: "13812345678",
  email: "lijingban@example.cn",
};
const staff = { type: "staff" as const, id: "00000000-0000-4000-8000-00000000aaaa", ip: "10.0.0.9" };

const world = useRenewWorld();
beforeAll(() => ({ db, ca } = world));

function draft(h: Holder, clock = newClock()) {
  return saveDraft(db, h.row.id, handler, { clock });
}

const confirm = (h: Holder, orderId: string, consent: Record<string, string> | undefined, clock = newClock()) =>
  confirmOrder(db, { keys: getConfig(), certificateId: h.row.id, orderId, consent, actor: holderActor, clock });

describe("consent before 确认提交", () => {
  it("refuses 确认提交 without both documents and marks the missing one", async () => {
    const h = await holder(db, ca);
    const order = await draft(h);
    await expect(confirm(h, order.id, undefined)).rejects.toMatchObject({
      code: "CONSENT_REQUIRED",
      details: { fields: { "consent.agreement": "consentRequired", "consent.privacy": "consentRequired" } },
    });
    await expect(confirm(h, order.id, { agreement: CONSENT_VERSIONS.agreement })).rejects.toMatchObject({
      code: "CONSENT_REQUIRED",
      details: { fields: { "consent.privacy": "consentRequired" } },
    });
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("draft");
  });

  it("refuses a version other than the current one", async () => {
    const h = await holder(db, ca);
    const order = await draft(h);
    await expect(confirm(h, order.id, { ...CONSENT_VERSIONS, privacy: "2020-01-01" })).rejects.toMatchObject({
      code: "CONSENT_OUTDATED",
    });
  });

  it("stores the accepted versions and time with the order and in the audit event", async () => {
    const h = await holder(db, ca);
    const order = await draft(h);
    const clock = newClock();
    await confirm(h, order.id, { ...CONSENT_VERSIONS }, clock);
    const row = await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
    expect([row.agreementVersion, row.privacyVersion, row.consentAt?.toISOString()]).toEqual([
      CONSENT_VERSIONS.agreement,
      CONSENT_VERSIONS.privacy,
      clock.now().toISOString(),
    ]);
    const event = await db.auditEvent.findFirstOrThrow({
      where: { targetId: order.id, action: "order.submitted" },
    });
    expect(event.data).toMatchObject({
      consent: { agreement: CONSENT_VERSIONS.agreement, privacy: CONSENT_VERSIONS.privacy },
    });
  });
});

describe("handler data retention", () => {
  it("anonymises an ended order's handler once the retention period is over, and only then", async () => {
    const h = await holder(db, ca);
    const order = await draft(h);
    await cancel(db, {
      certificateId: h.row.id,
      orderId: order.id,
      actor: holderActor,
      clock: newClock(),
      keys: getConfig(),
      pay: envPayments,
    });
    await updateSetting(db, "privacy.handlerRetentionDays", "30", staff, newClock());
    const clock = newClock();
    // the order's updatedAt is the real time of the cancel: look from 29 and from 31 days after it
    const ended = (await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).updatedAt.getTime();
    clock.set(new Date(ended + 29 * DAY));
    await anonymiseEndedOrders(db, clock, getConfig());
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).handlerName).toBe(handler.name);

    clock.set(new Date(ended + 31 * DAY));
    expect(await anonymiseEndedOrders(db, clock, getConfig())).toBeGreaterThanOrEqual(1);
    const row = await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
    expect([row.handlerName, row.handlerEmail, row.handlerIdLast4, row.handlerMobileLast4]).toEqual([
      ANONYMISED_NAME,
      "",
      "",
      "",
    ]);
    expect(decryptField(getConfig(), row.handlerIdEnc)).toBe(ANONYMISED_SECRET);
    expect(decryptField(getConfig(), row.handlerMobileEnc)).toBe(ANONYMISED_SECRET);
    expect(row.handlerAnonymisedAt?.toISOString()).toBe(clock.now().toISOString());
    expect(await db.auditEvent.count({ where: { targetId: order.id, action: "order.handler_anonymised" } })).toBe(1);
    expect(await anonymiseEndedOrders(db, clock, getConfig())).toBe(0);
  });

  it("keeps an open order's handler whatever its age", async () => {
    const h = await holder(db, ca);
    const order = await draft(h);
    const clock = newClock();
    clock.set(new Date(Date.now() + 4000 * DAY));
    await anonymiseEndedOrders(db, clock, getConfig());
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).handlerName).toBe(handler.name);
  });
});

describe("a holder's data on request", () => {
  it("exports the holder's orders with the handler in full and the consent, and audits it", async () => {
    const h = await holder(db, ca);
    const order = await draft(h);
    await confirm(h, order.id, { ...CONSENT_VERSIONS });
    const out = await exportHolderData(db, {
      orderId: order.id,
      reason: "用户来电申请复制个人信息",
      actor: staff,
      clock: newClock(),
      keys: getConfig(),
    });
    expect(out.certificates.map((c) => c.serial)).toContain(h.row.serial);
    const mine = out.orders.find((o) => o.orderNo === order.orderNo)!;
    expect(mine.handler).toMatchObject({ idNumber: handler.idNumber, mobile: handler.mobile, email: handler.email });
    expect(mine.consent).toMatchObject({ agreementVersion: CONSENT_VERSIONS.agreement });
    const event = await db.auditEvent.findFirstOrThrow({
      where: { targetId: order.id, action: "holder.data_exported" },
    });
    expect(event.actorId).toBe(staff.id);
    expect(event.data).toMatchObject({ reason: "用户来电申请复制个人信息" });
  });
});

describe("the accessible captcha", () => {
  it("asks a sum or a difference in words", () => {
    const picks = [2, 4, 0];
    expect(textQuestion("zh-CN", () => picks.shift()!)).toEqual({ text: "三加五等于几？", answer: "8" });
    const minus = [2, 6, 1];
    expect(textQuestion("en", () => minus.shift()!)).toEqual({ text: "What is 7 minus 3?", answer: "4" });
  });

  it("is checked like the image: the right digits pass once, a wrong answer fails", async () => {
    const config = { ...getConfig(), TEST_CAPTCHA_BYPASS: false };
    const q = await createTextCaptcha(db, newClock(), "text-captcha-test", config, "zh-CN");
    expect(q.question).toMatch(/^[一二三四五六七八九]+[加减][一二三四五六七八九]+等于几？$/);
    const wrong = await createTextCaptcha(db, newClock(), "text-captcha-test", config, "zh-CN");
    await expect(verifyCaptcha(db, wrong.id, "99", newClock(), config)).rejects.toMatchObject({
      code: "CAPTCHA_INVALID",
    });
    const zh = "零一二三四五六七八九";
    const [, a, op, b] = /^(.)(加|减)(.)/.exec(q.question)!;
    const answer = op === "加" ? zh.indexOf(a) + zh.indexOf(b) : zh.indexOf(a) - zh.indexOf(b);
    await expect(verifyCaptcha(db, q.id, String(answer), newClock(), config)).resolves.toBeUndefined();
    await expect(verifyCaptcha(db, q.id, String(answer), newClock(), config)).rejects.toMatchObject({
      code: "CAPTCHA_INVALID",
    });
  });
});

describe("the key list's marks", () => {
  it("says renewable, too early with the opening date, expired, revoked and unknown as 提交 would", async () => {
    const open = await holder(db, ca, { daysLeft: 10 });
    const early = await holder(db, ca, { daysLeft: 45 });
    const expired = await holder(db, ca, { daysLeft: -2 });
    const revoked = await holder(db, ca, { daysLeft: 12 });
    await db.certificate.update({ where: { id: revoked.row.id }, data: { status: "revoked" } });
    const marks = await renewabilityOf(
      db,
      [open.row.serial, early.row.serial.toUpperCase(), expired.row.serial, revoked.row.serial, "abcdef"],
      newClock(),
    );
    expect(marks.map((m) => m.status)).toEqual(["open", "too_early", "expired", "revoked", "unknown"]);
    expect(marks[1].opensAt).toBe(new Date(early.row.notAfter.getTime() - 30 * DAY).toISOString());
  });
});
