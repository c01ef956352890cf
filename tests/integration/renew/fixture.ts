import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from "node:crypto";
import { DAY } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { getConfig } from "@/lib/config";
import type { Db } from "@/lib/db";
import type { CertType, PayerClass } from "@/lib/generated/prisma/client";
import type { Ca } from "@/lib/pki/ca";
import { createCsr } from "@/lib/dev/testing/csr-build";
import { transitionOrder } from "@/lib/orders/machine";
import { issueChallenge } from "@/lib/renewal/pop";
import type { ChallengePurpose } from "@/lib/token/challenge";
import { insertHolderCertificate } from "@/tests/helpers/pki";
import { withTx } from "@/lib/audit";
import { TEST_BYPASS_ANSWER } from "@/lib/captcha";
import { CONSENT_VERSIONS } from "@/lib/consent";
import { confirmOrder, saveHandler } from "@/lib/renewal/flow";
import type { HandlerInfo } from "@/lib/renewal/handler";
import { issueForOrder } from "@/lib/renewal/issue-order";
import { sha256Hex } from "@/lib/pki/x509";
import { afterAll, beforeAll } from "vitest";
import { resetConfig } from "@/lib/config";
import { setProcessDb, type OpenDb } from "@/lib/db";
import { resetCa } from "@/lib/pki/ca";
import type { SignerAlgorithm } from "@/lib/pki/signer";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa } from "@/tests/helpers/pki";

/** Shared set-up of the renewal integration tests: a clock, fee tiers, holders with their keys, signing. */

export const NOW = "2026-11-25T03:00:00.000Z";
/**
 * `openssl verify -attime` for certificates issued on the fixed clock: checked at NOW, when the world's CA and the
 * certificate are valid, not at the real time (a renewal issued at NOW ends a year after its holder's old expiry).
 */
export const AT_NOW = ["-attime", String(Date.parse(NOW) / 1000)];
export const holderActor = { type: "holder" as const, id: null, ip: "127.0.0.1", userAgent: "vitest" };

export function newClock() {
  return fixedClock(NOW);
}

export async function seedFeeTiers(db: Db): Promise<void> {
  const from = new Date("2020-01-01T00:00:00Z");
  await db.feeTier.createMany({
    data: [
      { certType: "organisation", payerClass: "self", fenPerYear: 10000, effectiveFrom: from },
      { certType: "personal", payerClass: "self", fenPerYear: 5000, effectiveFrom: from },
      { certType: "organisation", payerClass: "unified", fenPerYear: 0, effectiveFrom: from },
      { certType: "personal", payerClass: "unified", fenPerYear: 0, effectiveFrom: from },
    ],
  });
}

export interface RenewWorld {
  opened: OpenDb;
  db: Db;
  ca: Ca;
  origin: string;
}

/**
 * Registers the suite's beforeAll/afterAll: a test CA, a fresh database with the fee tiers, the captcha bypass.
 * `routes` also makes them the process's CA and database, for tests that call route handlers.
 */
export function useRenewWorld(opts: { algorithm?: SignerAlgorithm; routes?: boolean } = {}): RenewWorld {
  const world = {} as RenewWorld;
  beforeAll(async () => {
    process.env.TEST_CAPTCHA_BYPASS = "1";
    // the CA starts at NOW: valid when the fixed clock issues, and for ten years of real time after it
    ({ ca: world.ca } = await createTestCa(opts.algorithm, { now: new Date(NOW) }));
    if (opts.routes) resetCa();
    world.origin = getConfig().publicOrigin;
    world.opened = await createTestDb();
    world.db = world.opened.prisma as Db;
    if (opts.routes) setProcessDb(world.opened);
    await seedFeeTiers(world.db);
  });
  afterAll(async () => {
    delete process.env.TEST_CAPTCHA_BYPASS;
    resetConfig();
    await world.opened?.close();
  });
  return world;
}

export interface Holder {
  row: Awaited<ReturnType<typeof insertHolderCertificate>>["row"];
  key: KeyObject;
  der: Buffer;
}

/**
 * A registered holder certificate expiring `daysLeft` days after `from` (NOW unless told). Tests that go through
 * route handlers, which read the system clock, pass `from: new Date()`: the certificate's validity must be relative
 * to the real time there, or the test fails once the fixed NOW is far enough in the past.
 */
export async function holder(
  db: Db,
  ca: Ca,
  opts: { daysLeft?: number; certType?: CertType; payerClass?: PayerClass; cn?: string; from?: Date } = {},
): Promise<Holder> {
  const notAfter = new Date((opts.from ?? new Date(NOW)).getTime() + (opts.daysLeft ?? 10) * DAY);
  const notBefore = new Date(notAfter.getTime() - 365 * DAY);
  return insertHolderCertificate(db, ca, {
    notBefore,
    notAfter,
    certType: opts.certType ?? "personal",
    payerClass: opts.payerClass ?? "unified",
    subject: {
      C: "CN",
      ST: "SD",
      L: "dezhou",
      OU: "I370101000000001",
      CN: opts.cn ?? `测试证书${Math.random().toString().slice(2, 10)}`,
    },
  });
}

export function signText(key: KeyObject, text: string): string {
  return cryptoSign("sha256", Buffer.from(text, "utf8"), { key, dsaEncoding: "der" }).toString("base64");
}

export async function signedChallenge(
  db: Db,
  h: { row: { serial: string }; key: KeyObject },
  clock: ReturnType<typeof newClock>,
  purpose: ChallengePurpose = "login",
  csrSha256?: string,
) {
  const { text } = await issueChallenge(db, {
    serial: h.row.serial,
    origin: getConfig().publicOrigin,
    purpose,
    clock,
    csrSha256,
  });
  return { challengeText: text, signatureB64: signText(h.key, text) };
}

/** 下证 of `orderId` with `csr` (issueForOrder), the issue challenge signed by the holder's old key. */
export async function issueWithProof(
  db: Db,
  h: Holder,
  args: { orderId: string; csr: Buffer; origin: string; ca: Ca; clock?: ReturnType<typeof newClock>; kmc?: null },
) {
  const clock = args.clock ?? newClock();
  const proof = await signedChallenge(db, h, clock, "issue", sha256Hex(args.csr));
  return issueForOrder(db, {
    orderId: args.orderId,
    csrDer: args.csr,
    ...proof,
    origin: args.origin,
    actor: holderActor,
    clock,
    certificateId: h.row.id,
    ca: args.ca,
    ...(args.kmc === null ? { kmc: null } : {}),
  });
}

export function newKeyAndCsr(): { key: KeyObject; csr: Buffer } {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  return { key, csr: createCsr(key, { C: "CN", CN: "ignored" }) };
}

/** What a settled Alipay payment does to an order (the payments module's job; here only the state). */
export async function markPaid(db: Db, orderId: string, clock: ReturnType<typeof newClock>): Promise<void> {
  await withTx(db, async (tx) => {
    const order = await tx.renewalOrder.findUniqueOrThrow({ where: { id: orderId } });
    await transitionOrder(tx, {
      orderId,
      to: "paid",
      links: getConfig(),
      actor: { type: "alipay", id: "test" },
      clock,
      set: { paidAt: clock.now(), paidFen: order.priceFen, alipayTradeNo: `2026112522${order.orderNo.slice(-18)}` },
    });
  });
}

/** The 经办人 of the tests' orders. */
export const HANDLER: HandlerInfo = {
  name: "张三",
  idType: "resident_id",
  idNumber: "11010519491231002X",
  mobile: "13812345678",
  email: "z@example.cn",
};

/** 经办人 info saved with the captcha bypassed: the holder's draft order. */
export function saveDraft(
  db: Db,
  certificateId: string,
  handler: HandlerInfo,
  opts: { actor?: typeof holderActor; clock?: ReturnType<typeof newClock> } = {},
) {
  return saveHandler(db, {
    keys: getConfig(),
    config: getConfig(),
    certificateId,
    handler,
    captchaId: "00000000-0000-4000-8000-000000000000",
    captchaAnswer: TEST_BYPASS_ANSWER,
    actor: opts.actor ?? holderActor,
    clock: opts.clock ?? newClock(),
    locale: "zh-CN",
  });
}

/** 经办人 info (captcha bypassed) and 确认提交 with the current consent: the holder's order as submitted. */
export async function submitOrder(db: Db, certificateId: string, clock = newClock()) {
  const draft = await saveDraft(db, certificateId, HANDLER, { clock });
  return confirmOrder(db, {
    keys: getConfig(),
    consent: CONSENT_VERSIONS,
    certificateId,
    orderId: draft.id,
    actor: holderActor,
    clock,
  });
}
