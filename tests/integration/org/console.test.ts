import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "@/lib/config";
import { DAY } from "@/lib/clock";
import { verifyAuditChain } from "@/lib/audit";
import type { Ca } from "@/lib/pki/ca";
import type { Organisation } from "@/lib/generated/prisma/client";
import { createTestCa } from "@/tests/helpers/pki";
import { payTrade } from "@/lib/dev/alipay-sandbox/trades";
import { demoCreditCode } from "@/lib/dev/demo/holders";
import { orgLogin, sessionOrganisation } from "@/lib/org/login";
import { linkCertificate, upsertOrganisation } from "@/lib/org/organisations";
import { holdersCsv, listOrgHolders } from "@/lib/org/holders";
import { createBatch, startBatchPayment } from "@/lib/org/batch";
import { refundBatchItem } from "@/lib/org/refund";
import { closeExpiredBatches, sendOrgReminders } from "@/lib/org/sweep";
import { fixedClock } from "@/lib/dev/testing/clock";
import { renderMail } from "@/lib/mail/templates";
import { handleNotify } from "@/lib/payments/alipay/notify";
import { batchTrades } from "@/lib/org/settle";
import { stepFor } from "@/lib/renewal/flow";
import { issueForOrder } from "@/lib/renewal/issue-order";
import { sha256Hex } from "@/lib/pki/x509";
import { holder, newKeyAndCsr, seedFeeTiers, signedChallenge, submitOrder, type Holder } from "../renew/fixture";
import { tradeNoOf, useHarness, type Harness } from "../payments/harness";

/** 大客户专区 end to end on the domain: sign-in, batch pay through the Alipay emulator, contract, renewals at 0. */

const harness = useHarness();
let h: Harness;
let ca: Ca;
let org: Organisation;
let orgCert: Holder;
const staff = { type: "staff" as const, id: "staff-1", ip: "127.0.0.1", userAgent: "vitest" };
const orgActor = (c: Holder) => ({ type: "org" as const, id: c.row.id, ip: "10.9.0.1", userAgent: "vitest" });

async function member(opts: Parameters<typeof holder>[2] = {}): Promise<Holder> {
  const m = await holder(h.db, ca, { payerClass: "self", ...opts });
  await linkCertificate(h.db, { serial: m.row.serial, organisationId: org.id, actor: staff, clock: h.clock });
  return m;
}

async function login(c: Holder) {
  return orgLogin(h.db, {
    ...(await signedChallenge(h.db, c, h.clock)),
    origin: getConfig().publicOrigin,
    actor: orgActor(c),
    clock: h.clock,
  });
}

function batch(serials: Holder[], kind: "alipay" | "contract", o = org) {
  return createBatch(h.db, {
    organisation: o,
    serials: serials.map((m) => m.row.serial),
    kind,
    actor: orgActor(orgCert),
    createdBy: `org:${orgCert.row.serial}`,
    clock: h.clock,
  });
}

async function payBatch(batchNo: string) {
  const start = await startBatchPayment(h.db, envPayments, { organisationId: org.id, batchNo, clock: h.clock });
  await payTrade(h.env, tradeNoOf(start.qrCode));
  expect(await h.deliver()).toEqual({ delivered: 1, failed: 0 });
  return start;
}

const item = (batchNo: string, m: Holder) =>
  h.db.orgBatchItem.findFirstOrThrow({ where: { batch: { batchNo }, certificateId: m.row.id } });

beforeAll(async () => {
  h = harness();
  process.env.TEST_CAPTCHA_BYPASS = "1";
  ({ ca } = await createTestCa());
  await seedFeeTiers(h.db);
  org = await upsertOrganisation(
    h.db,
    {
      name: "德州市统一付费示范单位",
      creditCode: demoCreditCode(9001),
      contactEmail: "contact@org.example.cn",
      contractNo: "HT-1",
      contractUntil: new Date(h.clock.now().getTime() + 200 * DAY),
    },
    staff,
    h.clock,
  );
  orgCert = await holder(h.db, ca, { certType: "organisation", payerClass: "unified", daysLeft: 300 });
  await linkCertificate(h.db, {
    serial: orgCert.row.serial,
    organisationId: org.id,
    console: true,
    actor: staff,
    clock: h.clock,
  });
});

describe("大客户专区 sign-in with the organisation certificate", () => {
  it("signs in with the registered organisation certificate: an org session in the database, audited", async () => {
    const l = await login(orgCert);
    expect(l.organisation.id).toBe(org.id);
    expect(l.session.kind).toBe("org");
    expect(l.session.certificateId).toBe(orgCert.row.id);
    expect((await sessionOrganisation(h.db, l.session, h.clock)).id).toBe(org.id);
    expect(await h.db.auditEvent.count({ where: { action: "org.login", targetId: org.id } })).toBe(1);
  });

  it("refuses a holder's personal certificate, even one the organisation pays for", async () => {
    const m = await member();
    await expect(login(m)).rejects.toMatchObject({ code: "ORG_CERT_NOT_REGISTERED" });
  });

  it("refuses an organisation certificate not registered for the console, and a key signing for another's", async () => {
    const foreign = await holder(h.db, ca, { certType: "organisation", payerClass: "self", daysLeft: 100 });
    await expect(login(foreign)).rejects.toMatchObject({ code: "ORG_CERT_NOT_REGISTERED" });
    const stolenSerial = { row: orgCert.row, key: foreign.key, der: foreign.der };
    await expect(login(stolenSerial)).rejects.toMatchObject({ code: "POP_SIGNATURE_INVALID" });
  });

  it("a holder session is not an org session", async () => {
    const l = await login(orgCert);
    await expect(sessionOrganisation(h.db, { ...l.session, kind: "holder" }, h.clock)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
  });
});

describe("holders, expiry report", () => {
  it("lists the organisation's holders with the wizard's renewability and the fee tier price", async () => {
    const now = await member({ cn: "报表甲", daysLeft: 10 });
    const later = await member({ cn: "报表乙", daysLeft: 60 });
    const unified = await member({ cn: "报表丙", daysLeft: 12, payerClass: "unified" });
    const rows = await listOrgHolders(h.db, org, h.clock);
    const row = (m: Holder) => rows.find((r) => r.serial === m.row.serial)!;
    expect(row(now)).toMatchObject({ status: "open", priceFen: 5000, coverage: null, daysLeft: 10 });
    expect(row(later).status).toBe("too_early");
    expect(row(later).opensAt).toBe(new Date(later.row.notAfter.getTime() - 30 * DAY).toISOString());
    expect(row(unified).priceFen).toBe(0);
    expect(rows.some((r) => r.serial === orgCert.row.serial)).toBe(false);
    const early = await listOrgHolders(h.db, org, h.clock, { filter: "too_early" });
    expect(early.map((r) => r.serial)).toContain(later.row.serial);
    expect(early.every((r) => r.status === "too_early")).toBe(true);
    expect((await listOrgHolders(h.db, org, h.clock, { q: "报表丙" })).map((r) => r.serial)).toEqual([
      unified.row.serial,
    ]);

    const csv = holdersCsv(rows, "zh-CN");
    expect(
      csv.startsWith(
        "\uFEFF用户名称,证书类型,证书序列号,到期时间,剩余天数,更新状态,可更新日期,费用（元）,单位付费\r\n",
      ),
    ).toBe(true);
    const line = csv.split("\r\n").find((l) => l.startsWith("报表乙,"))!;
    const localExpiry = new Date(later.row.notAfter.getTime() + 8 * 3600_000).toISOString().slice(0, 19);
    expect(line).toBe(
      `报表乙,个人证书,${later.row.serial},${localExpiry.replace("T", " ")},60,未到更新时间,${new Date(later.row.notAfter.getTime() - 30 * DAY + 8 * 3600_000).toISOString().slice(0, 19).replace("T", " ")},50.00,`,
    );
    expect(csv.endsWith("\r\n")).toBe(true);
  });
});

describe("pay once for a batch", () => {
  it("one Alipay trade for the sum of the holders' prices, paid through the emulator's signed notify", async () => {
    const a = await member({ cn: "批量甲", daysLeft: 10 });
    const b = await member({ cn: "批量乙", daysLeft: 11, certType: "organisation" });
    const created = await batch([a, b], "alipay");
    expect(created).toMatchObject({ state: "awaiting_payment", totalFen: 15000 });
    const start = await payBatch(created.batchNo);
    expect(start.amountFen).toBe(15000);
    const trade = await h.db.sandboxTrade.findUniqueOrThrow({ where: { outTradeNo: created.batchNo } });
    expect(trade.totalFen).toBe(15000);

    const paid = await h.db.orgBatch.findUniqueOrThrow({ where: { id: created.id }, include: { items: true } });
    expect(paid).toMatchObject({ state: "paid", paidFen: 15000, alipayTradeNo: trade.tradeNo });
    expect(paid.items.map((i) => i.state)).toEqual(["covered", "covered"]);
    expect(await h.db.auditEvent.count({ where: { action: "org.batch.paid", targetId: created.id } })).toBe(1);

    // the same notification again (Alipay retries): nothing changes
    const notify = await h.db.sandboxNotify.findFirstOrThrow({ where: { tradeNo: trade.tradeNo } });
    const params = notify.params as Record<string, string>;
    expect(await handleNotify(h.db, envPayments, params, h.clock, batchTrades)).toBe("success");
    expect(
      (await h.db.paymentEvent.findMany({ where: { outTradeNo: created.batchNo, kind: "notify" } })).map(
        (e) => e.outcome,
      ),
    ).toEqual(["applied", "duplicate"]);
    // forged (signature broken) and wrong amount: refused before anything is read
    expect(await handleNotify(h.db, envPayments, { ...params, total_amount: "0.01" }, h.clock, batchTrades)).toBe(
      "fail",
    );

    // the holder now renews through the normal wizard without paying: price 0, straight to 下证
    const order = await submitOrder(h.db, a.row.id, h.clock);
    expect(order.priceFen).toBe(0);
    expect(order.state).toBe("submitted");
    expect(stepFor(order)).toBe("issue");
    expect((await item(created.batchNo, a)).orderId).toBe(order.id);
    const { csr } = newKeyAndCsr();
    const issued = await issueForOrder(h.db, {
      orderId: order.id,
      csrDer: csr,
      ...(await signedChallenge(h.db, a, h.clock, "issue", sha256Hex(csr))),
      origin: getConfig().publicOrigin,
      actor: { type: "holder", id: a.row.id },
      clock: h.clock,
      certificateId: a.row.id,
      ca,
    });
    expect(issued.certificate.organisationId).toBe(org.id);
    expect(await h.db.paymentEvent.count({ where: { order: { certificateId: a.row.id } } })).toBe(0);

    // never charged twice: not in a second batch, and the used place is not refundable
    await expect(batch([a], "alipay")).rejects.toMatchObject({ code: "ORG_HOLDER_ALREADY_COVERED" });
    await expect(
      refundBatchItem(h.db, envPayments, { itemId: (await item(created.batchNo, a)).id, actor: staff, clock: h.clock }),
    ).rejects.toMatchObject({ code: "ORG_ITEM_NOT_REFUNDABLE" });

    // the unused place is refunded to the batch's trade, once
    const unused = await item(created.batchNo, b);
    const refunded = await refundBatchItem(h.db, envPayments, { itemId: unused.id, actor: staff, clock: h.clock });
    expect(refunded.state).toBe("refunded");
    expect(refunded.refundedAt).not.toBeNull();
    const after = await h.db.sandboxTrade.findUniqueOrThrow({ where: { outTradeNo: created.batchNo } });
    expect((after.refunds as { amountFen: number }[]).map((r) => r.amountFen)).toEqual([10000]);
    await expect(
      refundBatchItem(h.db, envPayments, { itemId: unused.id, actor: staff, clock: h.clock }),
    ).rejects.toMatchObject({ code: "ORG_ITEM_NOT_REFUNDABLE" });
    // b pays for itself again now
    expect((await submitOrder(h.db, b.row.id, h.clock)).priceFen).toBe(10000);
    expect((await verifyAuditChain(h.db)).ok).toBe(true);
  });

  it("refuses a holder already paying for themselves, and keeps a holder from paying while the batch waits", async () => {
    const paying = await member({ cn: "自付中", daysLeft: 10 });
    const own = await submitOrder(h.db, paying.row.id, h.clock);
    expect(own.state).toBe("awaiting_payment");
    await expect(batch([paying], "alipay")).rejects.toMatchObject({ code: "ORG_HOLDER_PAYING" });

    const waiting = await member({ cn: "待单位付", daysLeft: 10 });
    const pending = await batch([waiting], "alipay");
    await expect(submitOrder(h.db, waiting.row.id, h.clock)).rejects.toMatchObject({ code: "ORG_BATCH_PENDING" });
    // a second batch for the same holder is refused by the database's unique place, not only by the check
    await expect(batch([waiting], "contract")).rejects.toMatchObject({ code: "ORG_HOLDER_ALREADY_COVERED" });
    expect(pending.state).toBe("awaiting_payment");
  });

  it("closes a batch not paid within the payment window: its places are released, nothing charged", async () => {
    const late = await member({ cn: "逾期未付", daysLeft: 10 });
    const pending = await batch([late], "alipay");
    await startBatchPayment(h.db, envPayments, { organisationId: org.id, batchNo: pending.batchNo, clock: h.clock });
    expect(await closeExpiredBatches(h.db, envPayments, h.clock)).toBe(0);
    const after = fixedClock(new Date(pending.paymentDeadline!.getTime() + 1000));
    // this batch and the one still waiting from the test before
    expect(await closeExpiredBatches(h.db, envPayments, after)).toBe(2);
    const closed = await h.db.orgBatch.findUniqueOrThrow({ where: { id: pending.id }, include: { items: true } });
    expect(closed.state).toBe("closed");
    expect(closed.items.map((i) => [i.state, i.activeCertificateId])).toEqual([["void", null]]);
    expect(await h.db.auditEvent.count({ where: { action: "org.batch.closed", targetId: pending.id } })).toBe(1);
    // the holder pays for themselves again
    expect((await submitOrder(h.db, late.row.id, h.clock)).state).toBe("awaiting_payment");
  });

  it("refuses holders of another organisation, unified holders in a paid batch, expired holders", async () => {
    const stranger = await holder(h.db, ca, { payerClass: "self" });
    await expect(batch([stranger], "alipay")).rejects.toMatchObject({ code: "ORG_HOLDER_NOT_MEMBER" });
    const unified = await member({ payerClass: "unified" });
    await expect(batch([unified], "alipay")).rejects.toMatchObject({ code: "ORG_HOLDER_NO_FEE" });
    const expired = await member({ daysLeft: -2 });
    await expect(batch([expired], "alipay")).rejects.toMatchObject({ code: "ORG_HOLDER_NOT_RENEWABLE" });
    await expect(batch([], "alipay")).rejects.toMatchObject({ code: "ORG_BATCH_EMPTY" });
  });
});

describe("covered by the organisation's contract", () => {
  it("marks holders covered without payment (who and when audited); they renew at price 0", async () => {
    const c = await member({ cn: "合同甲", daysLeft: 10 });
    const covered = await batch([c], "contract");
    expect(covered).toMatchObject({
      kind: "contract",
      state: "covered",
      totalFen: 0,
      createdBy: `org:${orgCert.row.serial}`,
    });
    const event = await h.db.auditEvent.findFirstOrThrow({
      where: { action: "org.batch.contract_covered", targetId: covered.id },
    });
    expect(event).toMatchObject({ actorType: "org", actorId: orgCert.row.id });
    expect(event.data).toMatchObject({ contractNo: "HT-1", serials: [c.row.serial] });
    const order = await submitOrder(h.db, c.row.id, h.clock);
    expect(order).toMatchObject({ priceFen: 0, state: "submitted" });
  });

  it("is refused without a contract in force", async () => {
    const lapsed = await upsertOrganisation(
      h.db,
      { name: "无合同单位", creditCode: demoCreditCode(9002), contactEmail: "x@org.example.cn" },
      staff,
      h.clock,
    );
    await expect(batch([], "contract", lapsed)).rejects.toMatchObject({ code: "ORG_BATCH_EMPTY" });
    const m = await holder(h.db, ca, { payerClass: "self" });
    await linkCertificate(h.db, { serial: m.row.serial, organisationId: lapsed.id, actor: staff, clock: h.clock });
    await expect(
      createBatch(h.db, {
        organisation: lapsed,
        serials: [m.row.serial],
        kind: "contract",
        actor: staff,
        createdBy: "org:x",
        clock: h.clock,
      }),
    ).rejects.toMatchObject({ code: "ORG_CONTRACT_INACTIVE" });
  });
});

describe("reminder mail for the organisation", () => {
  it("one mail to the contact listing the holders that entered the window, once", async () => {
    // this organisation and the one without a contract (its holder is in the window too)
    const first = await sendOrgReminders(h.db, h.clock);
    expect(first.queued).toBe(2);
    const mail = await h.db.mailOutbox.findFirstOrThrow({
      where: { template: "org_expiry_report", to: "contact@org.example.cn" },
    });
    expect(mail.to).toBe("contact@org.example.cn");
    const data = mail.data as { holders: string[]; holderCount: string };
    expect(data.holders.some((line) => line.includes("报表甲"))).toBe(true);
    expect(data.holders.some((line) => line.includes("报表乙"))).toBe(false);
    const rendered = renderMail("org_expiry_report", "zh-CN", mail.data, "https://renew.example.cn");
    expect(rendered.subject).toBe(`德州市统一付费示范单位：${data.holderCount} 位证书用户的数字证书即将到期`);
    expect(rendered.text).toContain("https://renew.example.cn/org");
    for (const line of data.holders) {
      expect(rendered.text).toContain(line);
      expect(rendered.html).toContain(line);
    }
    expect(await sendOrgReminders(h.db, h.clock)).toEqual({ queued: 0 });
  });
});
