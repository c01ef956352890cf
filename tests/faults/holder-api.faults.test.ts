import "@/tests/helpers/env";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Recorder } from "@/lib/dev/sim/stats";
import { issueAndInstall, runHolderFlow } from "@/lib/dev/sim/holder-flow";
import { handlerFor, newKeyAndCsr, signChallenge } from "@/lib/dev/sim/holders";
import { startWorld, type World } from "./helpers/world";
import { useFaultSummary } from "./helpers/summary";
import { CONSENT_VERSIONS } from "@/lib/consent";

let w: World;
const summary = useFaultSummary("holder API (browser closed, parallel POSTs)");

beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.close();
});

describe("holder API faults", () => {
  it("a holder who closes the browser after paying resumes at 下证 with a new session and finishes", async () => {
    const [h] = await w.holders(1);
    const rec = new Recorder();
    const first = await runHolderFlow(w.client(), h, rec, { until: "payment-status", pollMs: 50 });
    expect(first.completed).toContain("payment-status");

    // the browser is gone: no cookie, no csrf token; the holder signs in again with the key
    const again = w.client();
    const { challenge } = await again.ok<{ challenge: string }>("POST", "/api/renew/challenge", {
      json: { serial: h.serial },
    });
    const login = await again.ok<{ step: string; csrfToken: string }>("POST", "/api/renew/login", {
      json: { challenge, signature: signChallenge(h.key, challenge) },
    });
    again.csrfToken = login.csrfToken;
    const status = await again.ok<{ step: string; order: { id: string; state: string } }>("GET", "/api/renew/status");
    expect(["invoice", "issue"]).toContain(login.step);
    expect(status.order.state).toBe("paid");

    await issueAndInstall(again, h.key, status.order.id);
    const done = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: status.order.id } });
    expect(done.state).toBe("installed");
    await summary.verify(
      w.db,
      "browser closed after payment → resume",
      1,
      [["order installed after resume", done.state === "installed"]],
      { orderIds: [status.order.id] },
    );
  });

  it("the same POST sent 10 times in parallel changes the order once and never answers 5xx", async () => {
    const [h] = await w.holders(1);
    const c = w.client();
    const burst = async (label: string, make: (i: number) => Promise<{ status: number; text: string }>) => {
      const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => make(i)));
      statuses.push(...rs.map((r) => ({ label, status: r.status, text: r.text })));
      return rs;
    };
    const statuses: { label: string; status: number; text: string }[] = [];
    const { challenge } = await c.ok<{ challenge: string }>("POST", "/api/renew/challenge", {
      json: { serial: h.serial },
    });
    c.csrfToken = (
      await c.ok<{ csrfToken: string }>("POST", "/api/renew/login", {
        json: { challenge, signature: signChallenge(h.key, challenge) },
      })
    ).csrfToken;
    const captchaId = "00000000-0000-4000-8000-000000000000";

    // handler: ten different idempotency keys → one draft (one open order per certificate)
    const drafts = await burst("handler", () =>
      c.request("POST", "/api/renew/handler", {
        json: { handler: handlerFor(h.index), captchaId, captchaAnswer: "test-bypass" },
        idempotent: true,
      }),
    );
    const orderId = (JSON.parse(drafts.find((r) => r.status === 200)!.text) as { id: string }).id;
    // confirm: the same idempotency key ten times → one answer replayed; then ten fresh keys → no second transition
    const sameKey = { "idempotency-key": "parallel-confirm-key-1" };
    const confirms = await burst("confirm (same key)", () =>
      c.request("POST", "/api/renew/confirm", { json: { orderId, consent: CONSENT_VERSIONS }, headers: sameKey }),
    );
    await burst("confirm", () =>
      c.request("POST", "/api/renew/confirm", { json: { orderId, consent: CONSENT_VERSIONS }, idempotent: true }),
    );
    const pays = await burst("payment", () =>
      c.request("POST", "/api/renew/payment", { json: { orderId }, idempotent: true }),
    );
    const qr = new URL((JSON.parse(pays.find((r) => r.status === 200)!.text) as { qrCode: string }).qrCode);
    await burst("sandbox pay", () => c.request("POST", `${qr.pathname}/confirm`));
    const order = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: orderId } });
    const notify = await w.db.sandboxNotify.findFirstOrThrow({
      where: { params: { path: ["out_trade_no"], equals: order.orderNo } },
    });
    await burst("notify", () =>
      c.request("POST", "/api/payments/alipay/notify", { form: notify.params as Record<string, string> }),
    );
    // 下证: ten challenges for one CSR, ten issue requests at once → one certificate
    const { key: newKey, csr } = newKeyAndCsr();
    const csrB64 = csr.toString("base64");
    const challenges = await Promise.all(
      Array.from({ length: 10 }, () =>
        c.ok<{ challenge: string }>("POST", "/api/renew/issue-challenge", { json: { orderId, csr: csrB64 } }),
      ),
    );
    const issues = await burst("issue", (i) =>
      c.request("POST", "/api/renew/issue", {
        json: {
          orderId,
          csr: csrB64,
          challenge: challenges[i].challenge,
          signature: signChallenge(h.key, challenges[i].challenge),
        },
        idempotent: true,
      }),
    );
    const serials = new Set(
      issues
        .filter((r) => r.status === 200)
        .map((r) => (JSON.parse(r.text) as { certificate: { serial: string } }).certificate.serial),
    );
    // install confirmations: ten login challenges for the new certificate, each signed by the new key, sent at once
    const proofs = await Promise.all(
      Array.from({ length: 10 }, () =>
        c.ok<{ challenge: string }>("POST", "/api/renew/challenge", { json: { serial: [...serials][0] } }),
      ),
    );
    await burst("installed", (i) =>
      c.request("POST", "/api/renew/installed", {
        json: { orderId, challenge: proofs[i].challenge, signature: signChallenge(newKey, proofs[i].challenge) },
        idempotent: true,
      }),
    );

    const audits = await w.db.auditEvent.groupBy({ by: ["action"], where: { targetId: orderId }, _count: true });
    const count = (a: string) => audits.find((x) => x.action === a)?._count ?? 0;
    const trades = await w.db.sandboxTrade.count({ where: { outTradeNo: order.orderNo } });
    const fiveHundreds = statuses.filter((s) => s.status >= 500);
    // a replay is the same JSON value (jsonb storage may order the keys differently)
    const firstConfirm: unknown = JSON.parse(confirms[0].text);
    const replayed = confirms.every((r) => isDeepStrictEqual(JSON.parse(r.text), firstConfirm));
    const final = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: orderId } });
    await summary.verify(
      w.db,
      "same POST ×10 in parallel (8 steps)",
      8,
      [
        [
          `no 5xx (${fiveHundreds.map((s) => `${s.label} ${s.status} ${s.text.slice(0, 80)}`).join("; ")})`,
          fiveHundreds.length === 0,
        ],
        [
          "one draft order for the certificate",
          (await w.db.renewalOrder.count({ where: { certificateId: h.certificateId } })) === 1,
        ],
        [
          `same idempotency key replays one answer (${confirms.map((r) => `${r.status} ${r.text.slice(0, 60)}`).join(" | ")})`,
          replayed && confirms.every((r) => r.status === 200),
        ],
        ["submitted once", count("order.submitted") === 1],
        ["one Alipay trade", trades === 1],
        ["paid once", count("payment.received") === 1],
        ["one certificate handed out", serials.size === 1],
        ["installed once", count("order.installed") === 1 && final.state === "installed"],
      ],
      { orderIds: [orderId] },
    );
  });
});
