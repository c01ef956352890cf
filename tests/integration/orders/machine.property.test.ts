import "@/tests/helpers/env";
import { getConfig } from "@/lib/config";
import { beforeAll, expect, test } from "vitest";
import fc from "fast-check";
import { HOLDER, draftOrder, SYSTEM, codeOf, insertCertificate, useOrdersDb } from "@/tests/helpers/orders";
import type { Db } from "@/lib/db";
import { fixedClock } from "@/lib/dev/testing/clock";
import { verifyAuditChain, withTx } from "@/lib/audit";
import type { OrderState } from "@/lib/generated/prisma/client";
import { submitOrder } from "@/lib/renewal/create-order";
import { ORDER_STATES, RELEASES_CERTIFICATE, TRANSITIONS, canTransition, transitionOrder } from "@/lib/orders/machine";

const clock = fixedClock("2026-11-30T02:00:00Z");
const getDb = useOrdersDb(clock);
let db: Db;
beforeAll(() => {
  db = getDb();
});

// "move" tries any state (mostly illegal ones); "step" takes one of the legal moves of a live order, so runs get
// deep into the machine
type Cmd =
  | { kind: "create"; cert: number }
  | { kind: "move"; order: number; to: OrderState }
  | { kind: "step"; order: number; choice: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("create" as const), cert: fc.nat(1) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("move" as const),
      order: fc.nat(7),
      to: fc.constantFrom(...ORDER_STATES),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("step" as const), order: fc.nat(7), choice: fc.nat(3) }) },
);

interface Model {
  id: string;
  cert: number;
  state: OrderState;
  priceFen: number;
  open: boolean;
}

async function move(orderId: string, to: OrderState): Promise<string> {
  // entering `issued` names a new certificate, as the issuance service does
  const extra =
    to === "issued"
      ? { issuedCertificateId: (await insertCertificate(db)).id }
      : to === "paid"
        ? { paidFen: 10000, paidAt: clock.now() }
        : {};
  return codeOf(
    withTx(db, (tx) => transitionOrder(tx, { orderId, to, actor: SYSTEM, clock, set: extra, links: getConfig() })),
  );
}

test("random transition sequences: no illegal state stored, one open order per certificate, audit chain intact", async () => {
  const reached = new Set<OrderState>();
  await fc.assert(
    fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 40 }), async (tail) => {
      const cmds: Cmd[] = [{ kind: "create", cert: 0 }, { kind: "create", cert: 1 }, ...tail];
      // a self-paying and a unified-payment certificate per run
      const certs = [
        await insertCertificate(db),
        await insertCertificate(db, { certType: "personal", payerClass: "unified" }),
      ];
      const orders: Model[] = [];
      for (const c of cmds) {
        if (c.kind === "create") {
          const got = await draftOrder(db, certs[c.cert]!, clock);
          const existing = orders.find((o) => o.cert === c.cert && o.open);
          if (existing) expect(got.id).toBe(existing.id);
          else orders.push({ id: got.id, cert: c.cert, state: "draft", priceFen: got.priceFen, open: true });
          continue;
        }
        const legalMoves = (o: Model) => TRANSITIONS[o.state].filter((s) => canTransition(o, s));
        const pool = c.kind === "step" ? orders.filter((o) => legalMoves(o).length > 0) : orders;
        const o = pool[c.order % Math.max(pool.length, 1)];
        if (!o) continue;
        const to = c.kind === "move" ? c.to : legalMoves(o)[c.choice % legalMoves(o).length]!;
        const legal = canTransition(o, to);
        expect(await move(o.id, to)).toBe(legal ? "ok" : "ORDER_ILLEGAL_TRANSITION");
        if (legal) {
          o.state = to;
          reached.add(to);
          if (RELEASES_CERTIFICATE.has(to)) o.open = false;
        }
      }
      const stored = await db.renewalOrder.findMany({ where: { certificateId: { in: certs.map((c) => c.id) } } });
      expect(stored).toHaveLength(orders.length);
      for (const o of orders) {
        const row = stored.find((s) => s.id === o.id)!;
        expect(row.state).toBe(o.state);
        expect(row.openCertificateId).toBe(o.open ? certs[o.cert]!.id : null);
      }
      for (const c of certs) expect(stored.filter((s) => s.openCertificateId === c.id).length).toBeLessThanOrEqual(1);
      // every recorded state change is an edge of the machine
      const events = await db.auditEvent.findMany({
        where: { targetType: "order", targetId: { in: orders.map((o) => o.id) }, fromState: { not: null } },
      });
      for (const e of events) {
        if (e.fromState !== e.toState) expect(TRANSITIONS[e.fromState as OrderState]).toContain(e.toState);
      }
      expect((await verifyAuditChain(db)).ok).toBe(true);
    }),
    // a fixed seed (FC_SEED overrides it) so that the coverage check below holds run after run; an unseeded run
    // missed "expired" in CI once
    { numRuns: 50, seed: Number(process.env.FC_SEED ?? 20261203) },
  );
  // the runs covered the whole machine, not just its first steps
  expect([...reached].sort()).toEqual(ORDER_STATES.filter((s) => s !== "draft").sort());
}, 240_000);

test("two parallel transitions of one order: exactly one wins", async () => {
  for (let i = 0; i < 5; i++) {
    const cert = await insertCertificate(db);
    const order = await draftOrder(db, cert, clock);
    await submitOrder(db, { orderId: order.id, actor: HOLDER, clock });
    const outcomes = await Promise.all([move(order.id, "paid"), move(order.id, "expired")]);
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "ok")[0]).toMatch(/^(CONFLICT|ORDER_ILLEGAL_TRANSITION)$/);
    const row = await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
    expect(row.version).toBe(3);
    expect(await db.auditEvent.count({ where: { targetId: order.id, toState: row.state } })).toBe(1);
  }
});

test("an expected version that is no longer current is a CONFLICT and changes nothing", async () => {
  const cert = await insertCertificate(db);
  const order = await draftOrder(db, cert, clock);
  const err = await withTx(db, (tx) =>
    transitionOrder(tx, { orderId: order.id, to: "submitted", actor: HOLDER, clock, expectVersion: 7 }),
  ).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: "CONFLICT" });
  expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("draft");
});

test("mails follow the states: payment announced once even after a failed issuance", async () => {
  const cert = await insertCertificate(db);
  const order = await draftOrder(db, cert, clock);
  await submitOrder(db, { orderId: order.id, actor: HOLDER, clock });
  for (const to of ["paid", "issuing", "paid", "issuing", "issued", "installed"] as const)
    expect(await move(order.id, to)).toBe("ok");
  const mails = await db.mailOutbox.findMany({ where: { orderId: order.id }, orderBy: { createdAt: "asc" } });
  expect(mails.map((m) => m.template).sort()).toEqual(["certificate_issued", "order_submitted", "payment_received"]);
  const issued = mails.find((m) => m.template === "certificate_issued")!;
  const row = await db.renewalOrder.findUniqueOrThrow({
    where: { id: order.id },
    include: { issuedCertificate: true },
  });
  expect(issued.data).toMatchObject({ orderNo: order.orderNo, serial: row.issuedCertificate!.serial });
  expect(row.openCertificateId).toBeNull();
});
