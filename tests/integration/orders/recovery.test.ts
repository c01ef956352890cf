import "@/tests/helpers/env";
import { generateKeyPairSync } from "node:crypto";
import { beforeAll, expect, test } from "vitest";
import { HOLDER, draftOrder, SYSTEM, insertCertificate, useOrdersDb } from "@/tests/helpers/orders";
import { createTestCa, insertHolderCertificate } from "@/tests/helpers/pki";
import type { Db } from "@/lib/db";
import { MINUTE, type Clock } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { DomainError } from "@/lib/errors";
import { verifyAuditChain, withTx } from "@/lib/audit";
import type { OrderState } from "@/lib/generated/prisma/client";
import { serverJobs } from "@/lib/runtime/jobs";
import { getConfig } from "@/lib/config";
import { getCa } from "@/lib/pki/ca";
import { submitOrder } from "@/lib/renewal/create-order";
import { transitionOrder } from "@/lib/orders/machine";
import { orderRecoveryJob, recoverStuckOrders } from "@/lib/renewal/recovery";
import { createCsr } from "@/lib/dev/testing/csr-build";
import { resumeIssuance } from "@/lib/renewal/issue-order";

const start = "2026-11-30T02:00:00Z";
const getDb = useOrdersDb(fixedClock(start));
let db: Db;
beforeAll(() => {
  db = getDb();
});

/** A self-paying order walked to `path`'s last state at `clock`'s time. */
async function orderIn(path: OrderState[], clock: Clock, csr = false) {
  const cert = await insertCertificate(db);
  const order = await draftOrder(db, cert, clock);
  await submitOrder(db, { orderId: order.id, actor: HOLDER, clock });
  for (const to of path) {
    const set =
      to === "paid"
        ? { paidFen: 10000, paidAt: clock.now() }
        : to === "issuing" && csr
          ? { csrDer: new Uint8Array([0x30, 0x00]) }
          : {};
    await withTx(db, (tx) =>
      transitionOrder(tx, { orderId: order.id, to, actor: SYSTEM, clock, set, links: getConfig() }),
    );
  }
  return order;
}

test("the recovery job is scheduled with the portal's jobs", () => {
  expect(serverJobs(getConfig()).map((j) => j.name)).toContain(orderRecoveryJob(getCa).name);
});

test("flags orders paid or issuing for more than 30 minutes, once, with an audit event", async () => {
  const clock = fixedClock(start);
  const paid = await orderIn(["paid"], clock);
  const issuing = await orderIn(["paid", "issuing"], clock);
  const awaiting = await orderIn([], clock);
  clock.advance(10 * MINUTE);
  const fresh = await orderIn(["paid"], clock);

  clock.advance(20 * MINUTE); // paid/issuing exactly 30 minutes: not yet
  expect(await recoverStuckOrders(db, clock, { resume: failResume })).toEqual({ resumed: 0, flagged: 0 });

  clock.advance(1000);
  expect(await recoverStuckOrders(db, clock, { resume: failResume })).toEqual({ resumed: 0, flagged: 2 });
  const rows = await db.renewalOrder.findMany({ where: { id: { in: [paid.id, issuing.id, awaiting.id, fresh.id] } } });
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  expect(byId[paid.id]).toMatchObject({ flagged: true, flagReason: "paid_not_issued", state: "paid" });
  expect(byId[issuing.id]).toMatchObject({ flagged: true, flagReason: "issuing_stalled", state: "issuing" });
  expect(byId[awaiting.id]!.flagged).toBe(false);
  expect(byId[fresh.id]!.flagged).toBe(false);
  const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: paid.id, action: "order.flagged" } });
  expect(audit).toMatchObject({
    actorType: "system",
    actorId: "orders.recovery",
    fromState: "paid",
    toState: "paid",
    data: { orderNo: paid.orderNo, reason: "paid_not_issued" },
  });

  clock.advance(60 * MINUTE);
  expect((await recoverStuckOrders(db, clock, { resume: failResume })).flagged).toBe(1); // only `fresh` is new
  expect(await db.auditEvent.count({ where: { targetId: paid.id, action: "order.flagged" } })).toBe(1);
  expect((await verifyAuditChain(db)).ok).toBe(true);
});

async function failResume(): Promise<never> {
  throw new Error("resume must not be called for orders without a CSR");
}

test("an order left in issuing with its CSR is issued again instead of flagged", async () => {
  const clock = fixedClock(start);
  const order = await orderIn(["paid", "issuing"], clock, true);
  clock.advance(31 * MINUTE);
  const resumed: string[] = [];
  const result = await recoverStuckOrders(db, clock, {
    resume: async (d, orderId, c) => {
      resumed.push(orderId);
      const cert = await insertCertificate(d);
      await withTx(d, (tx) =>
        transitionOrder(tx, { orderId, to: "issued", actor: SYSTEM, clock: c, set: { issuedCertificateId: cert.id } }),
      );
    },
  });
  expect(result).toEqual({ resumed: 1, flagged: 0 });
  expect(resumed).toEqual([order.id]);
  expect(await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).toMatchObject({
    state: "issued",
    flagged: false,
  });
});

test("a failed resume flags the order with the error code", async () => {
  const clock = fixedClock(start);
  const order = await orderIn(["paid", "issuing"], clock, true);
  clock.advance(31 * MINUTE);
  const result = await recoverStuckOrders(db, clock, {
    resume: async () => {
      throw new DomainError("CA_UNAVAILABLE");
    },
  });
  expect(result.flagged).toBeGreaterThanOrEqual(1);
  expect(await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).toMatchObject({
    state: "issuing",
    flagged: true,
    flagReason: "issuance_failed",
  });
  const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: order.id, action: "order.flagged" } });
  expect(audit.data).toMatchObject({ reason: "issuance_failed", error: "CA_UNAVAILABLE" });
});

test("the stuck time comes from Setting orders.stuckMinutes", async () => {
  const clock = fixedClock("2026-11-30T08:00:00Z");
  const order = await orderIn(["paid"], clock);
  await db.setting.create({ data: { key: "orders.stuckMinutes", value: 5 } });
  try {
    clock.advance(6 * MINUTE);
    await recoverStuckOrders(db, clock, { resume: failResume });
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).flagged).toBe(true);
  } finally {
    await db.setting.delete({ where: { key: "orders.stuckMinutes" } });
  }
});

test("with the real issuer: a paid order stuck in issuing with its CSR ends with a certificate", async () => {
  const { ca } = await createTestCa();
  const clock = fixedClock(start);
  const { row: cert } = await insertHolderCertificate(db, ca, {
    notBefore: new Date("2025-12-10T02:00:00Z"),
    notAfter: new Date("2026-12-10T02:00:00Z"),
  });
  const order = await draftOrder(db, cert, clock);
  await submitOrder(db, { orderId: order.id, actor: HOLDER, clock });
  const csrDer = new Uint8Array(createCsr(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey));
  await withTx(db, async (tx) => {
    await transitionOrder(tx, {
      orderId: order.id,
      to: "paid",
      links: getConfig(),
      actor: SYSTEM,
      clock,
      set: { paidFen: order.priceFen, paidAt: clock.now() },
    });
    await transitionOrder(tx, { orderId: order.id, to: "issuing", actor: SYSTEM, clock, set: { csrDer } });
  });
  clock.advance(31 * MINUTE);
  const result = await recoverStuckOrders(db, clock, { resume: (d, id, c) => resumeIssuance(d, id, c, ca) });
  expect(result.resumed).toBe(1);
  const done = await db.renewalOrder.findUniqueOrThrow({
    where: { id: order.id },
    include: { issuedCertificate: true },
  });
  expect(done.state).toBe("issued");
  expect(done.issuedCertificate!.notAfter).toEqual(done.newNotAfter);
  expect(await db.mailOutbox.count({ where: { orderId: order.id, template: "certificate_issued" } })).toBe(1);
});
