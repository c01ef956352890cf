import { useTestEnv } from "../lib/dev/testing/env";
import { getConfig } from "../lib/config";
import { createTestDb } from "../lib/dev/testing/db";
import { HANDLER, HOLDER, SYSTEM, insertCertificate } from "../lib/dev/testing/fixtures";
import { fixedClock } from "../lib/dev/testing/clock";
import type { Certificate } from "../lib/generated/prisma/client";
import { ensureDefaultFeeTiers } from "../lib/fees/tiers";
import { checkEligibility } from "../lib/renewal/eligibility";
import { createDraftOrder, submitOrder } from "../lib/renewal/create-order";
import { transitionOrder } from "../lib/orders/machine";
import { withTx } from "../lib/audit";

/**
 * `npx tsx bench/orders.ts` (PGlite in memory) or with DATABASE_URL (a scratch PostgreSQL database):
 * order creation + submission and state transitions per second, one at a time and 10 at once.
 */
useTestEnv();
const open = await createTestDb();
const db = open.prisma;
const clock = fixedClock("2026-11-30T02:00:00Z");
await ensureDefaultFeeTiers(db, clock);

const N = 200;
const certs: Certificate[] = [];
for (let i = 0; i < N * 2; i++) certs.push(await insertCertificate(db));

async function timed(label: string, n: number, concurrency: number, op: (i: number) => Promise<unknown>) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await op(next++);
    }),
  );
  const s = (performance.now() - t) / 1000;
  console.log(
    `${label} (×${n}, ${concurrency} at once): ${Math.round(n / s)}/s, ${((s * 1000 * concurrency) / n).toFixed(1)} ms/op`,
  );
}

const orders: string[] = [];
await timed("checkEligibility", N, 1, (i) => checkEligibility(db, certs[i]!, clock));
await timed("createDraftOrder + submitOrder", N, 1, async (i) => {
  const o = await createDraftOrder(db, {
    keys: getConfig(),
    certificate: certs[i]!,
    handler: HANDLER,
    actor: HOLDER,
    clock,
    locale: "zh-CN",
  });
  orders.push((await submitOrder(db, { orderId: o.id, actor: HOLDER, clock })).id);
});
await timed("createDraftOrder + submitOrder", N, 10, async (i) => {
  const o = await createDraftOrder(db, {
    keys: getConfig(),
    certificate: certs[N + i]!,
    handler: HANDLER,
    actor: HOLDER,
    clock,
    locale: "zh-CN",
  });
  orders.push((await submitOrder(db, { orderId: o.id, actor: HOLDER, clock })).id);
});
await timed("transitionOrder awaiting_payment → paid (with mail)", N * 2, 10, (i) =>
  withTx(db, (tx) =>
    transitionOrder(tx, {
      orderId: orders[i]!,
      to: "paid",
      links: getConfig(),
      actor: SYSTEM,
      clock,
      set: { paidFen: 10000, paidAt: clock.now() },
    }),
  ),
);
console.log(`database: ${open.kind}`);
await open.close();
process.exit(0);
