import "@/tests/helpers/env";
import { afterAll, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config";
import { startWorld, type World } from "@/tests/faults/helpers/world";
import { runHolderFlow } from "@/lib/dev/sim/holder-flow";
import { Recorder } from "@/lib/dev/sim/stats";

/**
 * /api/health says ok or down and nothing else; /api/ready shows its checks only with the metrics token; /api/metrics
 * does not exist without it, and with it reports the requests, the orders by state and the other gauges.
 */

const TOKEN = "metrics-token-0123456789abcdef";
let w: World;
beforeAll(async () => {
  w = await startWorld({ METRICS_TOKEN: TOKEN });
}, 120_000);
afterAll(() => w?.close());

const get = (path: string, token?: string) =>
  fetch(`${w.base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

test("health and readiness tell anonymous callers only ok or not", async () => {
  const h = await get("/api/health");
  expect(h.status).toBe(200);
  expect(await h.json()).toEqual({ status: "ok" });
  const r = await get("/api/ready");
  expect(await r.json()).toEqual({ status: r.status === 200 ? "ready" : "not ready" });
  expect((await get("/api/ready", "wrong-token-0123456789abcdef")).headers.get("content-type")).toContain("json");
  expect(Object.keys(await (await get("/api/ready", "wrong-token-0123456789abcdef")).json())).toEqual(["status"]);
});

test("readiness details with the token: database, migrations, signer, CRL, outbox, issuance", async () => {
  // the CRL job is not running in this harness: the first CRL is made on the first /crl request
  await get("/crl/issuing.crl");
  const r = await get("/api/ready", TOKEN);
  const body = (await r.json()) as { status: string; checks: Record<string, { ok: boolean }> };
  expect(Object.keys(body.checks)).toEqual(
    expect.arrayContaining(["database", "migrations", "signer", "crl", "outbox", "issuance"]),
  );
  for (const name of ["database", "migrations", "signer", "crl", "outbox", "issuance"])
    expect(body.checks[name].ok, name).toBe(true);
  expect(r.status).toBe(200);
  expect(body.status).toBe("ready");
});

test("a CA signer that cannot sign makes the portal not ready", async () => {
  process.env.CA_KEY_PASSPHRASE = "not-the-passphrase-of-the-key";
  resetConfig();
  const { resetCa } = await import("@/lib/pki/ca");
  resetCa();
  try {
    const r = await get("/api/ready", TOKEN);
    const body = (await r.json()) as { checks: Record<string, { ok: boolean }> };
    expect(r.status).toBe(503);
    expect(body.checks.signer.ok).toBe(false);
  } finally {
    process.env.CA_KEY_PASSPHRASE = "test-ca-passphrase-0123";
    resetConfig();
    resetCa();
  }
});

test("metrics only with the token, with requests per route and orders by state", async () => {
  expect((await get("/api/metrics")).status).toBe(404);
  const [h] = await w.holders(1);
  await runHolderFlow(w.client(), h, new Recorder(), { until: "confirm" });
  const r = await get("/api/metrics", TOKEN);
  expect(r.status).toBe(200);
  const text = await r.text();
  expect(text).toMatch(/^certrenew_http_requests_total\{route="\/api\/renew\/login",method="POST",status="200"\} 1$/m);
  expect(text).toMatch(/^certrenew_orders\{state="awaiting_payment"\} 1$/m);
  expect(text).toMatch(/^certrenew_paid_not_issued_oldest_seconds 0$/m);
  expect(text).toMatch(/^certrenew_outbox_messages\{state="pending"\} \d+$/m);
  expect(text).toMatch(/^certrenew_crl_age_seconds [\d.e+-]+$/m);
  expect(text).toMatch(/^certrenew_job_lag_seconds\{job="orders.recovery"\} 0$/m);
});
