import "@/tests/helpers/env";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "@/lib/config";
import type { Db, OpenDb } from "@/lib/db";
import { encryptField } from "@/lib/crypto/field";
import { fixedClock } from "@/lib/dev/testing/clock";
import { startSmsSandbox } from "@/lib/dev/sms-sandbox/server";
import { enqueueSms, templateCode, type SmsConfig } from "@/lib/sms";
import { createSmsSender, type SmsSender } from "@/lib/sms/client";
import { deliverSms } from "@/lib/sms/worker";
import { createTestDb } from "@/tests/helpers/db";

let opened: OpenDb;
let db: Db;
let server: Server;
let config: SmsConfig & ReturnType<typeof getConfig>;
let send: SmsSender;
const clock = fixedClock("2026-12-03T02:00:00.000Z");

beforeAll(async () => {
  opened = await createTestDb();
  db = opened.prisma as Db;
  const base = { ...getConfig(), SMS_SANDBOX: true, SMS_SANDBOX_PORT: 0 };
  server = startSmsSandbox(db, base, clock);
  await new Promise((r) => server.once("listening", r));
  config = { ...base, SMS_SANDBOX_PORT: (server.address() as AddressInfo).port };
  send = createSmsSender(config)!;
});
afterAll(async () => {
  server?.close();
  await opened?.close();
});

const receipt = (phone: string, extra: Partial<Parameters<SmsSender>[0]> = {}) =>
  send({
    phone,
    signName: config.SMS_SIGN_NAME,
    templateCode: templateCode(config, "payment_received"),
    params: { orderNo: "R20261203000001", amount: "50.00" },
    ...extra,
  });

describe("the SMS sandbox, through Alibaba Cloud's SDK", () => {
  it("accepts a signed SendSms with the registered signature and template, and keeps the text for /dev/sms", async () => {
    const r = await receipt("13800000001");
    expect(r.code).toBe("OK");
    expect(r.bizId).toMatch(/^\d+\^\d+$/);
    const stored = await db.devSms.findUniqueOrThrow({ where: { bizId: r.bizId! } });
    expect(stored.content).toBe("【山东CA】已收到订单R20261203000001的付款50.00元，请回到页面继续下证。");
  });

  it("answers as the service does: signature name, template, parameters, number, flow control", async () => {
    expect((await receipt("13800000002", { signName: "别的签名" })).code).toBe("isv.SMS_SIGNATURE_ILLEGAL");
    expect((await receipt("13800000002", { templateCode: "SMS_000000000" })).code).toBe("isv.SMS_TEMPLATE_ILLEGAL");
    expect((await receipt("13800000002", { params: { orderNo: "R1" } })).code).toBe("isv.TEMPLATE_MISSING_PARAMETERS");
    expect((await receipt("2380000000")).code).toBe("isv.MOBILE_NUMBER_ILLEGAL");
    expect((await receipt("13800000002")).code).toBe("OK");
    const again = await receipt("13800000002");
    expect([again.code, again.message]).toEqual(["isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"]);
  });

  it("refuses a request signed with another secret", async () => {
    const forged = createSmsSender({ ...config, SESSION_SECRET: `${config.SESSION_SECRET}x` })!;
    const r = await forged({
      phone: "13800000003",
      signName: config.SMS_SIGN_NAME,
      templateCode: templateCode(config, "payment_received"),
      params: { orderNo: "R1", amount: "1.00" },
    });
    expect(r.code).toBe("SignatureDoesNotMatch");
  });
});

describe("the SMS outbox", () => {
  it("sends what is due, fails what the service refuses for good, and keeps no unlock code once sent", async () => {
    const keys = getConfig();
    await enqueueSms(
      db,
      { toEnc: encryptField(keys, "13900000001"), template: "unlock_code", params: { code: "482913" } },
      clock,
    );
    await enqueueSms(
      db,
      { toEnc: encryptField(keys, "12300000000"), template: "reminder", params: { name: "张伟", date: "2026-12-20" } },
      clock,
    );
    const report = await deliverSms(db, clock, config, send);
    expect(report).toEqual({ sent: 1, failed: 1, postponed: 0 });
    const rows = await db.smsOutbox.findMany({ orderBy: { createdAt: "asc" } });
    const code = rows.find((r) => r.template === "unlock_code")!;
    expect([code.state, code.params, code.bizId !== null]).toEqual(["sent", {}, true]);
    const bad = rows.find((r) => r.template === "reminder")!;
    expect([bad.state, bad.lastError]).toEqual(["failed", "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"]);
    const inbox = await db.devSms.findMany({ where: { phone: "13900000001" } });
    expect(inbox.map((m) => m.content)).toEqual([
      "【山东CA】您的证书在线解锁验证码为482913，10分钟内有效，请勿告诉他人。",
    ]);
  });

  it("holds a number over its limit back for later instead of asking the service", async () => {
    const keys = getConfig();
    const toEnc = encryptField(keys, "13900000002");
    const params = { name: "王芳", date: "2026-12-20" };
    await enqueueSms(db, { toEnc, template: "reminder", params }, clock);
    await enqueueSms(db, { toEnc, template: "reminder", params }, clock);
    expect(await deliverSms(db, clock, config, send)).toEqual({ sent: 1, failed: 0, postponed: 1 });
    const waiting = await db.smsOutbox.findFirstOrThrow({ where: { toEnc, state: "pending" } });
    expect(waiting.lastError).toBe("RATE_LIMITED");
    expect(waiting.nextAttemptAt.getTime()).toBeGreaterThan(clock.now().getTime());
    expect(await db.devSms.count({ where: { phone: "13900000002" } })).toBe(1);
  });
});
