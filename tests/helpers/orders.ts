import { afterAll, beforeAll } from "vitest";
import { createTestDb } from "./db";
import type { Db, OpenDb } from "@/lib/db";
import type { Clock } from "@/lib/clock";
import { DomainError } from "@/lib/errors";
import { ensureDefaultFeeTiers } from "@/lib/fees/tiers";
import { getConfig } from "@/lib/config";
import type { Certificate } from "@/lib/generated/prisma/client";
import { cancelOrder, createDraftOrder } from "@/lib/renewal/create-order";
import { envPayments } from "./payments";
import { HANDLER, HOLDER } from "@/lib/dev/testing/fixtures";

/** Order fixtures (shared with the benches, which may not import tests/). */
export { HANDLER, HOLDER, SYSTEM, insertCertificate } from "@/lib/dev/testing/fixtures";

/** What newOrderNo returns: `R`, the Beijing date, 10 Crockford base32 characters. */
export const ORDER_NO_PATTERN = /^R\d{8}[0-9A-HJKMNP-TV-Z]{10}$/;

/** The holder's draft order for `certificate`, with the standard 经办人, in Chinese. */
export function draftOrder(db: Db, certificate: Certificate, clock: Clock) {
  return createDraftOrder(db, {
    keys: getConfig(),
    certificate,
    handler: HANDLER,
    actor: HOLDER,
    clock,
    locale: "zh-CN",
  });
}

/** 取消申请 by the holder (an open Alipay trade is closed first, through the test environment's client). */
export function holderCancels(db: Db, orderId: string, clock: Clock) {
  return cancelOrder(db, { pay: envPayments, orderId, actor: HOLDER, clock, reason: "holder" });
}

/** The DomainError code a promise rejects with, or "ok": for tables of outcomes. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
}

/** One fresh database per test file with the default fee tiers; returns a getter valid once beforeAll ran. */
export function useOrdersDb(clock: Clock): () => Db {
  let open: OpenDb | undefined;
  beforeAll(async () => {
    open = await createTestDb();
    await ensureDefaultFeeTiers(open.prisma, clock);
  });
  afterAll(async () => {
    await open?.close();
  });
  return () => open!.prisma;
}
