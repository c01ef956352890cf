import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { beforeAll, describe, expect, test } from "vitest";
import { setProcessDb } from "@/lib/db";
import { verifyAuditChain } from "@/lib/audit";
import type { Ca } from "@/lib/pki/ca";
import { createTestCa } from "@/tests/helpers/pki";
import { staffCall, staffSessions } from "@/tests/helpers/staff";
import { demoCreditCode } from "@/lib/dev/demo/holders";
import { payTrade } from "@/lib/dev/alipay-sandbox/trades";
import { createBatch, startBatchPayment } from "@/lib/org/batch";
import * as createRoute from "@/app/api/staff/organisations/route";
import * as editRoute from "@/app/api/staff/organisations/[id]/route";
import * as invoiceRoute from "@/app/api/staff/org/batches/[id]/invoice-issued/route";
import * as refundRoute from "@/app/api/staff/org/items/[id]/refund/route";
import * as linkRoute from "@/app/api/staff/org/link/route";
import { holder, seedFeeTiers } from "../renew/fixture";
import { tradeNoOf, type Harness, useHarness } from "../payments/harness";

/** orgstaff (#24): the staff organisations page's routes, as its forms call them. */
const harness = useHarness();
let h: Harness;
let ca: Ca;
let sessions: Record<string, { token: string; csrf: string }> = {};
type Handler = Parameters<typeof staffCall>[0];

beforeAll(async () => {
  h = harness();
  setProcessDb({ prisma: h.db, kind: "pglite", close: async () => {} });
  ({ ca } = await createTestCa());
  await seedFeeTiers(h.db);
  sessions = await staffSessions(h.db, "os", ["helpdesk", "finance", "admin"]);
});

function call(handler: Handler, role: string, body: unknown, params: Record<string, string> = {}, method = "POST") {
  return staffCall(handler, sessions[role], body, params, method);
}

const errorOf = async (res: Response) =>
  (await res.json()) as { error: { code: string; message: string; details?: { fields?: Record<string, string> } } };

const form = (n: number, extra: Record<string, string> = {}) => ({
  name: `德州市员工页测试单位${n}`,
  creditCode: demoCreditCode(9300 + n),
  contactEmail: `Contact${n}@Org.example.cn`,
  contractNo: "",
  contractUntil: "",
  ...extra,
});

describe("organisations: register and edit", () => {
  test("an admin registers an organisation from the form (empty contract fields mean none), audited", async () => {
    const res = await call(createRoute.POST, "admin", form(1));
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const org = await h.db.organisation.findUniqueOrThrow({ where: { id } });
    expect(org).toMatchObject({ contactEmail: "contact1@org.example.cn", contractNo: null, contractUntil: null });
    const audit = await h.db.auditEvent.findFirstOrThrow({ where: { action: "org.saved", targetId: id } });
    expect(audit.actorType).toBe("staff");
  });

  test("validation: a wrong credit code, a bad e-mail or date are refused with the field named, in Chinese", async () => {
    const bad = await call(createRoute.POST, "admin", form(2, { creditCode: "91371400MA3C00000X" }));
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).error.details?.fields).toHaveProperty("creditCode");
    const mail = await call(createRoute.POST, "admin", form(2, { contactEmail: "not-a-mail" }));
    expect(mail.status).toBe(422);
    const body = await errorOf(mail);
    expect(body.error.details?.fields).toHaveProperty("contactEmail");
    expect(body.error.message).toMatch(/[\u4e00-\u9fff]/);
    const date = await call(createRoute.POST, "admin", form(2, { contractNo: "HT-9", contractUntil: "2027-13-40" }));
    expect(date.status).toBe(422);
    expect(await h.db.organisation.count({ where: { creditCode: demoCreditCode(9302) } })).toBe(0);
  });

  test("an admin edits an organisation by id: its contract and even its credit code; another's code is refused", async () => {
    const a = (await (await call(createRoute.POST, "admin", form(3))).json()) as { id: string };
    const b = (await (await call(createRoute.POST, "admin", form(4))).json()) as { id: string };
    const edited = await call(
      editRoute.PATCH,
      "admin",
      form(3, {
        name: "德州市改名单位",
        contractNo: "HT-2026-7",
        contractUntil: "2027-06-30",
        creditCode: demoCreditCode(9305),
      }),
      { id: a.id },
      "PATCH",
    );
    expect(edited.status).toBe(200);
    const org = await h.db.organisation.findUniqueOrThrow({ where: { id: a.id } });
    expect(org).toMatchObject({ name: "德州市改名单位", contractNo: "HT-2026-7", creditCode: demoCreditCode(9305) });
    // the contract runs to the end of that day in Beijing
    expect(org.contractUntil?.toISOString()).toBe("2027-06-30T15:59:59.000Z");

    const clash = await call(
      editRoute.PATCH,
      "admin",
      form(3, { creditCode: demoCreditCode(9304) }),
      { id: a.id },
      "PATCH",
    );
    expect(clash.status).toBe(422);
    expect((await errorOf(clash)).error.details?.fields).toEqual({ creditCode: "taken" });
    expect((await h.db.organisation.findUniqueOrThrow({ where: { id: b.id } })).name).toBe(form(4).name);
    const unknown = await call(editRoute.PATCH, "admin", form(6), { id: crypto.randomUUID() }, "PATCH");
    expect(unknown.status).toBe(404);
  });

  test("helpdesk and finance may not register or edit; nothing changes", async () => {
    const before = await h.db.organisation.count();
    for (const role of ["helpdesk", "finance"]) {
      const res = await call(createRoute.POST, role, form(7));
      expect(res.status).toBe(403);
      expect((await errorOf(res)).error.code).toBe("FORBIDDEN");
    }
    const org = await h.db.organisation.findFirstOrThrow();
    const res = await call(editRoute.PATCH, "helpdesk", form(7), { id: org.id }, "PATCH");
    expect(res.status).toBe(403);
    expect(await h.db.organisation.count()).toBe(before);
  });
});

describe("batches: refund an unused place and mark the invoice issued", () => {
  test("finance refunds the unused place and marks the paid batch's invoice; helpdesk may do neither", async () => {
    const created = (await (await call(createRoute.POST, "admin", form(8))).json()) as { id: string };
    const org = await h.db.organisation.findUniqueOrThrow({ where: { id: created.id } });
    const staffActor = { type: "staff" as const, id: "admin" };
    const members = [];
    for (const cn of ["员工页甲", "员工页乙"]) {
      const m = await holder(h.db, ca, { payerClass: "self", daysLeft: 20, cn });
      // the page's link form
      const linked = await call(linkRoute.POST, "admin", { serial: m.row.serial, organisationId: org.id });
      expect(linked.status).toBe(200);
      members.push(m);
    }
    const batch = await createBatch(h.db, {
      organisation: org,
      serials: members.map((m) => m.row.serial),
      kind: "alipay",
      actor: staffActor,
      createdBy: "staff:admin",
      clock: h.clock,
    });
    // not paid yet: no invoice to mark
    const early = await call(invoiceRoute.POST, "finance", { invoiceNo: "" }, { id: batch.id });
    expect(early.status).toBe(409);
    expect((await errorOf(early)).error.code).toBe("ORG_INVOICE_NOT_ISSUABLE");

    const start = await startBatchPayment(h.db, envPayments, {
      organisationId: org.id,
      batchNo: batch.batchNo,
      clock: h.clock,
    });
    await payTrade(h.env, tradeNoOf(start.qrCode));
    await h.deliver();
    const items = await h.db.orgBatchItem.findMany({ where: { batchId: batch.id }, orderBy: { holderName: "asc" } });
    expect(items.map((i) => i.state)).toEqual(["covered", "covered"]);

    const refusedRefund = await call(refundRoute.POST, "helpdesk", {}, { id: items[0].id });
    expect(refusedRefund.status).toBe(403);
    const refusedInvoice = await call(invoiceRoute.POST, "helpdesk", { invoiceNo: "X" }, { id: batch.id });
    expect(refusedInvoice.status).toBe(403);

    const refunded = await call(refundRoute.POST, "finance", {}, { id: items[0].id });
    expect(refunded.status).toBe(200);
    expect(await refunded.json()).toMatchObject({ state: "refunded" });
    const again = await call(refundRoute.POST, "finance", {}, { id: items[0].id });
    expect(again.status).toBe(409);

    const marked = await call(invoiceRoute.POST, "finance", { invoiceNo: " 37002600123 " }, { id: batch.id });
    expect(marked.status).toBe(200);
    const row = await h.db.orgBatch.findUniqueOrThrow({ where: { id: batch.id } });
    expect(row.invoiceNo).toBe("37002600123");
    expect(row.invoiceIssuedAt).not.toBeNull();
    expect(row.invoiceIssuedBy).toMatch(/^staff:/);
    const audit = await h.db.auditEvent.findFirstOrThrow({
      where: { action: "org.batch.invoice_issued", targetId: batch.id },
    });
    expect(audit).toMatchObject({ actorType: "staff", targetType: "org_batch" });
    expect(audit.data).toMatchObject({ batchNo: batch.batchNo, invoiceNo: "37002600123" });

    // marked once: a second mark keeps the first record
    const twice = await call(invoiceRoute.POST, "finance", { invoiceNo: "OTHER" }, { id: batch.id });
    expect(twice.status).toBe(409);
    expect((await h.db.orgBatch.findUniqueOrThrow({ where: { id: batch.id } })).invoiceNo).toBe("37002600123");
    expect((await verifyAuditChain(h.db)).ok).toBe(true);
  });
});
