import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { beforeAll, describe, expect, it } from "vitest";
import { setProcessDb } from "@/lib/db";
import { resetConfig } from "@/lib/config";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { payTrade } from "@/lib/dev/alipay-sandbox/trades";
import { setSandboxFaults } from "@/lib/dev/alipay-sandbox/faults";
import { buildNotify } from "@/lib/dev/alipay-sandbox/notify";
import { POST as notifyRoute } from "@/app/api/payments/alipay/notify/route";
import { POST as gatewayRoute } from "@/app/sandbox/alipay/gateway.do/route";
import { POST as faultsRoute } from "@/app/sandbox/alipay/faults/route";
import { insertOrder, tradeNoOf, useHarness, type Harness } from "./harness";

const harness = useHarness();
let h: Harness;
beforeAll(() => {
  h = harness();
  setProcessDb(h.opened);
});

function formPost(url: string, params: Record<string, string>): Request {
  return new Request(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: new URLSearchParams(params).toString(),
  });
}

async function lostTrade() {
  const order = await insertOrder(h.db, h.clock);
  const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
  await setSandboxFaults(h.db, { lost: true }, order.orderNo);
  return { order, trade: await payTrade(h.env, tradeNoOf(start.qrCode)) };
}

describe("payment routes", () => {
  it("the notify route takes Alipay's form post without CSRF and answers plain-text success / fail", async () => {
    const { order, trade } = await lostTrade();
    const params = buildNotify(trade, h.env, "TRADE_SUCCESS");
    const forged = await notifyRoute(formPost("http://alipay.example/notify", { ...params, total_amount: "1.00" }));
    expect([forged.status, await forged.text()]).toEqual([200, "fail"]);
    const res = await notifyRoute(formPost("http://alipay.example/notify", params));
    expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([
      200,
      "text/plain; charset=utf-8",
      "success",
    ]);
    expect((await h.db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("paid");
  });

  it("the emulator's fault switch works over HTTP in demo mode only", async () => {
    const body = JSON.stringify({ faults: { duplicate: 1 } });
    const ok = await faultsRoute(
      new Request("http://portal.test/sandbox/alipay/faults", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }),
    );
    expect(ok.status).toBe(200);
    expect((await h.db.setting.findUniqueOrThrow({ where: { key: "alipay.sandbox.faults" } })).value).toEqual({
      duplicate: 1,
    });
    await setSandboxFaults(h.db, {});
    process.env.DEMO_MODE = "0";
    resetConfig();
    try {
      const refused = await faultsRoute(
        new Request("http://portal.test/sandbox/alipay/faults", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        }),
      );
      expect(refused.status).toBe(404);
    } finally {
      process.env.DEMO_MODE = "1";
      resetConfig();
    }
  });

  it("the emulator's gateway is not there unless ALIPAY_SANDBOX=1", async () => {
    process.env.ALIPAY_SANDBOX = "0";
    resetConfig();
    try {
      const res = await gatewayRoute(
        formPost("http://portal.test/sandbox/alipay/gateway.do?method=alipay.trade.query", {}),
      );
      expect(res.status).toBe(404);
    } finally {
      process.env.ALIPAY_SANDBOX = "1";
      resetConfig();
    }
  });
});
