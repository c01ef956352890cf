import "@/tests/helpers/env";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDb } from "@/tests/helpers/db";
import type { Db, OpenDb } from "@/lib/db";
import { withIdempotency } from "@/lib/http/idempotency";

/**
 * A request whose process was SIGKILLed leaves its Idempotency-Key pending. The holder's page sends the request
 * again with the same key (the cluster suite does exactly this through nginx): once the key is clearly abandoned
 * the repeat takes it over and runs, instead of answering CONFLICT for ever.
 */

let open: OpenDb;
let db: Db;
beforeAll(async () => {
  open = await createTestDb();
  db = open.prisma;
});
afterAll(() => open.close());

const hash = (body: unknown) => createHash("sha256").update(JSON.stringify(body)).digest("hex");

test("a key left pending by a dead process is taken over by the repeat, which runs once and is remembered", async () => {
  const body = { orderId: "o-1" };
  await db.idempotencyKey.create({
    data: { key: "k:dead", requestHash: hash(body), status: 0, response: {}, createdAt: new Date(Date.now() - 60_000) },
  });
  let runs = 0;
  const r = await withIdempotency(db, "k:dead", body, async () => {
    runs++;
    return { status: 200, body: { ok: true } };
  });
  expect(r).toEqual({ status: 200, body: { ok: true } });
  expect(runs).toBe(1);
  // a later repeat gets the remembered answer without running again
  const again = await withIdempotency(db, "k:dead", body, async () => {
    runs++;
    return { status: 500, body: null };
  });
  expect(again).toEqual({ status: 200, body: { ok: true } });
  expect(runs).toBe(1);
  // another body under the same key is still refused
  await expect(
    withIdempotency(db, "k:dead", { orderId: "o-2" }, async () => ({ status: 200, body: {} })),
  ).rejects.toMatchObject({
    code: "IDEMPOTENCY_MISMATCH",
  });
});

test("a key pending for a live request is not taken over: the repeat waits for its answer", async () => {
  const body = { orderId: "o-3" };
  await db.idempotencyKey.create({
    data: { key: "k:live", requestHash: hash(body), status: 0, response: {}, createdAt: new Date() },
  });
  const finished = new Promise((r) => setTimeout(r, 500)).then(() =>
    db.idempotencyKey.update({ where: { key: "k:live" }, data: { status: 201, response: { first: true } } }),
  );
  let runs = 0;
  const r = await withIdempotency(db, "k:live", body, async () => {
    runs++;
    return { status: 200, body: {} };
  });
  await finished;
  expect(r).toEqual({ status: 201, body: { first: true } });
  expect(runs).toBe(0);
});
