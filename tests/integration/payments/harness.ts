import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll } from "vitest";
import { useTestEnv } from "@/tests/helpers/env";
import { createTestDb } from "@/tests/helpers/db";
import { getConfig } from "@/lib/config";
import { fixedClock } from "@/lib/dev/testing/clock";
import type { Db } from "@/lib/db";
import type { OrderState, RenewalOrder } from "@/lib/generated/prisma/client";
import { handleGateway } from "@/lib/dev/alipay-sandbox/gateway";
import { sandboxEnv, type SandboxEnv } from "@/lib/dev/alipay-sandbox/env";
import { deliverDueNotifies } from "@/lib/dev/alipay-sandbox/notify";
import { handleNotify } from "@/lib/payments/alipay/notify";
import { batchTrades } from "@/lib/org/settle";
import { sandboxMerchantEnv } from "@/lib/dev/alipay-sandbox/keys";

export const TIME_FACTOR = 0.001;

async function toRequest(req: http.IncomingMessage, base: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  return new Request(new URL(req.url ?? "/", base), {
    method: req.method,
    headers: req.headers as Record<string, string>,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

export type NotifyMode = "handle" | "fail";

/**
 * The emulator's gateway handler on a random-port node:http server (the same function as the Next route), a
 * small server that receives the emulator's notify POSTs and hands them to handleNotify, a fresh database and a
 * fixed clock; the SDK is pointed at the local gateway through ALIPAY_GATEWAY.
 */
export async function startHarness() {
  const opened = await createTestDb();
  const db = opened.prisma as Db;
  const clock = fixedClock("2026-11-25T02:00:00Z");
  const dataDir = mkdtempSync(path.join(tmpdir(), "certrenew-pay-"));
  const received: Record<string, string>[] = [];
  const answers: string[] = [];
  const state = { mode: "handle" as NotifyMode };

  const gateway = http.createServer((req, res) => {
    void (async () => {
      // the emulator keeps its sandbox configuration even while a test switches the merchant side to "production"
      const response = await handleGateway(await toRequest(req, gatewayOrigin), { db, clock, config: env.config });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })();
  });
  const receiver = http.createServer((req, res) => {
    void (async () => {
      const r = await toRequest(req, notifyOrigin);
      const params = Object.fromEntries(new URLSearchParams(await r.text()));
      received.push(params);
      // as the notify route: renewal orders, and 大客户专区's batch trades
      const answer = state.mode === "handle" ? await handleNotify(db, envPayments, params, clock, batchTrades) : "fail";
      answers.push(answer);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(answer);
    })();
  });
  const gatewayOrigin = await listen(gateway);
  const notifyOrigin = await listen(receiver);
  useTestEnv({
    DATA_DIR: dataDir,
    PUBLIC_ORIGIN: "http://portal.test",
    ALIPAY_SANDBOX: "1",
    ALIPAY_GATEWAY: `${gatewayOrigin}/gateway.do`,
    ALIPAY_NOTIFY_URL: `${notifyOrigin}/api/payments/alipay/notify`,
    ALIPAY_SANDBOX_TIME_FACTOR: String(TIME_FACTOR),
    ...sandboxMerchantEnv(dataDir),
  });
  const env: SandboxEnv = await sandboxEnv({ db, clock, config: getConfig() });

  return {
    opened,
    db,
    clock,
    env,
    received,
    answers,
    state,
    gatewayOrigin,
    /** runs the emulator's notify job once, as the scheduler would */
    deliver: () => deliverDueNotifies(db, clock, TIME_FACTOR),
    async close() {
      await new Promise((r) => gateway.close(r));
      await new Promise((r) => receiver.close(r));
      await opened.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** An order row as the renewal flow would leave it, inserted directly. */
export async function insertOrder(
  db: Db,
  clock: { now(): Date },
  over: { state?: OrderState; priceFen?: number; deadlineMs?: number } = {},
): Promise<RenewalOrder> {
  const serial = randomBytes(8).toString("hex");
  const cert = await db.certificate.create({
    data: {
      serial,
      subjectDn: "CN=测试证书",
      issuerDn: "CN=Test CA",
      holderName: "德州测试单位",
      holderIdType: "统一社会信用代码",
      holderIdEnc: "x",
      holderIdHash: serial,
      holderIdLast4: "0001",
      certType: "organisation",
      payerClass: "self",
      keyAlgorithm: "RSA-2048",
      spkiSha256: serial,
      notBefore: new Date("2025-12-01T00:00:00Z"),
      notAfter: new Date("2026-12-10T00:00:00Z"),
      der: Buffer.from([0]),
    },
  });
  const state = over.state ?? "awaiting_payment";
  const open = !["cancelled", "expired", "installed", "refunded"].includes(state);
  return db.renewalOrder.create({
    data: {
      orderNo: `R20261125${randomBytes(5).toString("hex").toUpperCase()}`,
      certificateId: cert.id,
      openCertificateId: open ? cert.id : null,
      state,
      certSerial: serial,
      holderName: cert.holderName,
      certType: "organisation",
      payerClass: "self",
      fenPerYear: 10000,
      years: 1,
      priceFen: over.priceFen ?? 10000,
      newNotAfter: new Date("2027-12-10T00:00:00Z"),
      handlerName: "张三",
      handlerIdType: "身份证",
      handlerIdEnc: "x",
      handlerIdLast4: "1234",
      handlerMobileEnc: "x",
      handlerMobileLast4: "5678",
      handlerEmail: "handler@example.com",
      paymentDeadline: new Date(clock.now().getTime() + (over.deadlineMs ?? 30 * 60_000)),
    },
  });
}

/** The trade number in the pay URL the emulator returned as qr_code. */
export function tradeNoOf(qrCode: string): string {
  return qrCode.split("/").pop()!;
}

/**
 * Registers the suite hooks: one harness per file, and after each test the retries it left scheduled are
 * dropped, so each test counts only its own deliveries. Returns the harness once beforeAll has run.
 */
export function useHarness(): () => Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async () => {
    await h?.db.sandboxNotify.updateMany({ where: { state: "pending" }, data: { state: "gave_up" } });
  });
  return () => h!;
}
