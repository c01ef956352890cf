import "@/tests/helpers/env";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MINUTE, type Clock } from "@/lib/clock";
import { startCfssl, type CfsslPeer } from "@/lib/dev/testing/cfssl";
import { newKeyAndCsr, signChallenge } from "@/lib/dev/sim/holders";
import type { HolderClient } from "@/lib/dev/sim/http";
import { getUpstreamIssuer, resetUpstreamIssuer } from "@/lib/pki/issuers";
import { cfsslSerial, createCfsslIssuer } from "@/lib/pki/issuers/cfssl";
import { getConfig } from "@/lib/config";
import { alipayFor } from "@/lib/payments/alipay/client";
import { processUpstreamDeps, renewalTransactionId, retryUpstreamIssuance } from "@/lib/renewal/upstream-issue";
import { sha256Hex } from "@/lib/pki/x509";
import { parseCsr } from "@/lib/pki/csr";
import { derToPem } from "@/tests/helpers/pem";
import { openssl } from "@/tests/helpers/pki";
import { startWorld, type World } from "./helpers/world";
import { issue, paidHolder } from "./helpers/paid-holder";
import { startTcpProxy, type ProxyMode, type TcpProxy } from "./helpers/tcp-proxy";
import { useFaultSummary } from "./helpers/summary";
import http from "node:http";
import type { KeyObject } from "node:crypto";
import { sendUpstreamRevocations, stuckRevocations } from "@/lib/services/revocation-intents";
import { orderDetail } from "@/lib/staff/orders";
import { X509Certificate } from "node:crypto";
import { pemBlocks } from "@/lib/pki/x509";
import { buildOcspRequest, readOcspResponse } from "@/lib/pki/issuers/ocsp-client";
import { answerRaCrl, answerRaOcsp } from "@/lib/pki/issuers/status-endpoints";
import { applyUpstreamCrl } from "@/lib/registry/upstream-crl";

/**
 * RA mode (ISSUER=cfssl) with the upstream CA failing on the way: a real `cfssl serve`, killed and restarted, and
 * a TCP proxy in front of it that cuts, slows, garbles or errors. In every case the holder's 下证 gets a clear
 * 稍后重试 (503 UPSTREAM_RETRY_LATER), the paid order stays `issuing` with its CSR, the upstream job completes it
 * once the upstream is back, the holder's retry gets that same certificate, and the upstream holds exactly one
 * good certificate for the order (a certificate whose answer was lost is revoked there, never handed out).
 */

const CFSSL_PORT = 31411;
const PROXY_PORT = 31412;
const OCSP_PORT = 31413;
const CRL_PORT = 31414;
let w: World;
let cfssl: CfsslPeer;
let proxy: TcpProxy;
const summary = useFaultSummary("RA mode: upstream CA (cfssl) faults");
/** certificates renewed through cfssl in this file, with their new keys (the revocation cases use them) */
const renewed: { id: string; serial: string; der: Buffer; key: KeyObject; client: HolderClient }[] = [];
const later = (minutes: number): Clock => ({ now: () => new Date(Date.now() + minutes * MINUTE) });

beforeAll(async () => {
  cfssl = await startCfssl({ port: CFSSL_PORT, ocspPort: OCSP_PORT });
  proxy = await startTcpProxy(PROXY_PORT, { host: "127.0.0.1", port: CFSSL_PORT });
  w = await startWorld({
    ISSUER: "cfssl",
    CFSSL_URL: proxy.url,
    CFSSL_AUTH_KEY: cfssl.authKeyHex,
    CFSSL_PROFILE: cfssl.profile,
    UPSTREAM_TIMEOUT_MS: "1500",
  });
  resetUpstreamIssuer();
});
afterAll(async () => {
  await w?.close();
  await proxy?.close();
  await cfssl?.stop();
});

function deps() {
  return { upstream: getUpstreamIssuer()! };
}

function verifyWithUpstreamCa(der: Buffer): string {
  const file = path.join(cfssl.dir, `leaf-${sha256Hex(der).slice(0, 8)}.pem`);
  writeFileSync(file, derToPem(der));
  return openssl(["verify", "-CAfile", cfssl.caFile, file]);
}

/** The serials cfssl was asked for in this order's transaction, and what cfssl says about each. */
function upstreamView(orderId: string, csr: Buffer) {
  const tx = renewalTransactionId(orderId, parseCsr(csr).spkiSha256);
  const { map } = cfssl.statuses();
  return [0, 1, 2, 3].map((k) => map.get(cfsslSerial(tx, k).hex) ?? "none");
}

describe("RA mode through cfssl", () => {
  it("renews through the wizard's API: the certificate is cfssl's and openssl verifies it against cfssl's CA", async () => {
    const p = await paidHolder(w);
    const { csr, key } = newKeyAndCsr();
    const r = await issue(p, csr);
    expect(r.status).toBe(200);
    const order = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
    expect(order.state).toBe("issued");
    const cert = await w.db.certificate.findUniqueOrThrow({ where: { id: order.issuedCertificateId! } });
    renewed.push({ id: cert.id, serial: cert.serial, der: Buffer.from(cert.der), key, client: p.client });
    expect(cert.issuerDn).toContain("Upstream Issuing CA");
    expect(verifyWithUpstreamCa(Buffer.from(cert.der))).toContain("OK");
    expect(upstreamView(p.orderId, csr)).toEqual(["good", "none", "none", "none"]);
    const events = await w.db.auditEvent.findMany({ where: { action: "upstream.renew", targetId: p.orderId } });
    expect(events.map((e) => (e.data as { status: string }).status)).toEqual(["issued"]);
    expect((events[0].data as { requestSha256: string }).requestSha256).toMatch(/^[0-9a-f]{64}$/);
    await summary.verify(w.db, "no fault (baseline)", 0, [["order issued by the upstream", order.state === "issued"]]);
  });

  const cases: { name: string; mode: ProxyMode | "down"; signedBeforeFailure: boolean }[] = [
    { name: "upstream down (cfssl killed)", mode: "down", signedBeforeFailure: false },
    { name: "upstream slow (answer after the timeout)", mode: "slow", signedBeforeFailure: true },
    { name: "upstream answers garbage", mode: "garbage", signedBeforeFailure: false },
    { name: "upstream answers an error (502)", mode: "error", signedBeforeFailure: false },
    { name: "upstream dies after issuing, before answering", mode: "cut", signedBeforeFailure: true },
  ];

  for (const c of cases) {
    it(`${c.name}: 稍后重试, the order waits in issuing, the job completes it, nothing issued twice`, async () => {
      const p = await paidHolder(w);
      const { csr, key } = newKeyAndCsr();
      if (c.mode === "down") await cfssl.kill();
      else {
        proxy.mode = c.mode;
        proxy.delayMs = 2500;
      }
      const failed = await issue(p, csr);
      proxy.mode = "pass";
      if (c.mode === "down") await cfssl.restart();

      expect(failed.status).toBe(503);
      expect(failed.body.error?.code).toBe("UPSTREAM_RETRY_LATER");
      expect(failed.body.error?.message).toContain("稍后重试");
      const waiting = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
      expect(waiting.state).toBe("issuing");
      expect(waiting.upstreamLastError).toBeTruthy();
      // the helpdesk's order view shows what the CA answered
      const seen = await orderDetail(w.db, p.orderId);
      expect(seen.upstreamAttempts).toBe(1);
      expect(seen.upstreamLastError).toBe(waiting.upstreamLastError);
      if (c.mode === "slow") await new Promise((r) => setTimeout(r, 1500)); // let cfssl's late answer go by

      // the upstream job, a few minutes later
      const pass = await retryUpstreamIssuance(w.db, deps(), later(5));
      expect(pass.issued).toBeGreaterThanOrEqual(1);
      const done = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
      expect(done.state).toBe("issued");
      const cert = await w.db.certificate.findUniqueOrThrow({ where: { id: done.issuedCertificateId! } });
      expect(verifyWithUpstreamCa(Buffer.from(cert.der))).toContain("OK");
      renewed.push({ id: cert.id, serial: cert.serial, der: Buffer.from(cert.der), key, client: p.client });

      // the holder comes back and presses 下证 again with the same key: the same certificate
      const again = await issue(p, csr);
      expect(again.status).toBe(200);
      expect(again.body.certificate?.serial).toBe(cert.serial);

      const view = upstreamView(p.orderId, csr);
      const good = view.filter((s) => s === "good").length;
      const expected = c.signedBeforeFailure ? ["revoked", "good", "none", "none"] : ["good", "none", "none", "none"];
      expect(view).toEqual(expected);
      const statuses = (
        await w.db.auditEvent.findMany({ where: { action: "upstream.renew", targetId: p.orderId } })
      ).map((e) => (e.data as { status: string }).status);
      expect(statuses[0]).toBe("retry");
      expect(statuses.at(-1)).toBe("issued");
      await summary.verify(w.db, c.name, 1, [
        ["holder told 稍后重试 (503)", failed.status === 503],
        ["completed by the job", done.state === "issued"],
        ["one good certificate upstream", good === 1],
        ["retry hands out the same certificate", again.body.certificate?.serial === cert.serial],
      ]);
    });
  }
});

describe("RA mode: 下证 pressed twice at once", () => {
  it("one exchange with the CA at a time per order: the second request waits its turn, one certificate", async () => {
    const p = await paidHolder(w);
    const { csr } = newKeyAndCsr();
    proxy.mode = "slow";
    proxy.delayMs = 300; // well under the 1.5 s timeout, on a busy machine too: the first exchange succeeds, slowly
    const both = await Promise.all([issue(p, csr), issue(p, csr)]);
    proxy.mode = "pass";
    const statuses = both.map((r) => r.status).sort();
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses).toContain(200);
    const exchanges = await w.db.auditEvent.count({ where: { action: "upstream.renew", targetId: p.orderId } });
    expect(exchanges).toBe(1);
    expect(upstreamView(p.orderId, csr)).toEqual(["good", "none", "none", "none"]);
    const again = await issue(p, csr);
    expect(again.status).toBe(200);
    await summary.verify(w.db, "下证 twice at once, upstream slow", 1, [["one exchange upstream", exchanges === 1]]);
  });
});

describe("RA mode: a new key while the CA is being asked", () => {
  it("the order's CSR does not change under an exchange in flight: the second key is told 稍后重试", async () => {
    const p = await paidHolder(w);
    const a = newKeyAndCsr();
    const b = newKeyAndCsr();
    // the CA's answer to the first key is held back until the second key has been answered
    proxy.mode = "hold";
    const inFlight = proxy.arrived();
    const first = issue(p, a.csr);
    await inFlight;
    const second = await issue(p, b.csr);
    proxy.release();
    const done = await first;
    proxy.mode = "pass";
    expect(second.status).toBe(503);
    expect(second.body.error?.code).toBe("UPSTREAM_RETRY_LATER");
    expect(done.status).toBe(200);
    const order = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
    expect(order.newSpkiSha256).toBe(parseCsr(a.csr).spkiSha256);
    expect(upstreamView(p.orderId, a.csr)).toEqual(["good", "none", "none", "none"]);
    expect(upstreamView(p.orderId, b.csr)).toEqual(["none", "none", "none", "none"]);
    await summary.verify(w.db, "new key during an exchange", 1, [["CSR kept", order.newSpkiSha256 !== null]]);
  });
});

describe("RA mode: a new key after a lost answer", () => {
  it("the old key's transaction is finished first, its certificate revoked upstream; the new key gets one", async () => {
    const p = await paidHolder(w);
    const a = newKeyAndCsr();
    const b = newKeyAndCsr();
    proxy.mode = "cut";
    expect((await issue(p, a.csr)).status).toBe(503);
    proxy.mode = "pass";
    // the pending key A is lost on the token: the wizard makes key B
    const r = await issue(p, b.csr);
    expect(r.status).toBe(200);
    const order = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
    expect(order.newSpkiSha256).toBe(parseCsr(b.csr).spkiSha256);
    const orphanIntent = await w.db.upstreamRevocation.findFirstOrThrow({
      where: { serial: cfsslSerial(renewalTransactionId(p.orderId, parseCsr(a.csr).spkiSha256), 1).hex },
    });
    expect(orphanIntent.reason).toBe(4);
    await sendUpstreamRevocations(w.db, getUpstreamIssuer()!, later(1));
    expect(upstreamView(p.orderId, a.csr)).toEqual(["revoked", "revoked", "none", "none"]);
    expect(upstreamView(p.orderId, b.csr)).toEqual(["good", "none", "none", "none"]);
    await summary.verify(w.db, "new key after a lost answer", 1, [
      ["only the new key's certificate is good upstream", true],
    ]);
  });
});

describe("RA mode: an upstream down for long", () => {
  it("the order is flagged for the helpdesk after 30 minutes, keeps being retried, and the flag goes once issued", async () => {
    const p = await paidHolder(w);
    const { csr } = newKeyAndCsr();
    await cfssl.kill();
    try {
      expect((await issue(p, csr)).status).toBe(503);
      const pass = await retryUpstreamIssuance(w.db, deps(), later(40));
      expect(pass).toMatchObject({ issued: 0, waiting: 1 });
      const flagged = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
      expect(flagged).toMatchObject({ state: "issuing", flagged: true, flagReason: "upstream_unavailable" });
      expect(flagged.upstreamAttempts).toBe(2);
    } finally {
      await cfssl.restart();
    }
    expect((await retryUpstreamIssuance(w.db, deps(), later(80))).issued).toBe(1);
    const done = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
    expect(done).toMatchObject({ state: "issued", flagged: false, flagReason: null });
    await summary.verify(w.db, "upstream down for 40 minutes", 2, [["issued in the end", done.state === "issued"]]);
  });
});

describe("RA mode: a final refusal", () => {
  it("the CA refusing the request for good refunds the paid order and flags it; nothing is issued", async () => {
    const p = await paidHolder(w);
    const { csr } = newKeyAndCsr();
    proxy.mode = "error";
    const failed = await issue(p, csr);
    proxy.mode = "pass";
    expect(failed.status).toBe(503);
    // the same upstream behind a profile whose policy refuses every holder name
    const strict = createCfsslIssuer({
      url: cfssl.url,
      authKeyHex: cfssl.authKeyHex,
      profile: "strict",
      timeoutMs: 5000,
    });
    const pay = { alipay: () => alipayFor(getConfig()), links: getConfig() };
    const out = await retryUpstreamIssuance(w.db, { ...processUpstreamDeps(pay)!, upstream: strict }, later(5));
    expect(out.refused).toBe(1);
    const order = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
    expect(["refund_pending", "refunded"]).toContain(order.state);
    expect(order).toMatchObject({ flagged: true, flagReason: "upstream_refused", issuedCertificateId: null });
    expect(await w.db.refund.count({ where: { orderId: p.orderId } })).toBe(1);
    expect(upstreamView(p.orderId, csr)).toEqual(["none", "none", "none", "none"]);
    const again = await issue(p, csr).catch((e: Error) => e);
    expect(again instanceof Error || again.status >= 400).toBe(true);
    await summary.verify(w.db, "upstream refuses for good", 1, [
      ["refunded, not issued", order.issuedCertificateId === null],
    ]);
  });
});

/** 证书注销 as the page sends it: challenge for the certificate, signed by its key, reason, confirmation. */
async function revoke(c: (typeof renewed)[number]) {
  const { challenge } = await c.client.ok<{ challenge: string }>("POST", "/api/services/revoke/challenge", {
    json: { certificate: c.der.toString("base64") },
  });
  return c.client.ok<{ pending?: boolean; revokedAt: string }>("POST", "/api/services/revoke", {
    json: { challenge, signature: signChallenge(c.key, challenge), reason: "keyCompromise", confirmed: true },
  });
}

describe("RA mode: revocations reach the upstream, and the upstream's revocations reach the registry", () => {
  it("a holder's 注销 goes to cfssl first; the certificate is marked revoked once cfssl confirmed", async () => {
    const c = renewed[0];
    const out = await revoke(c);
    expect(out.pending).toBe(false);
    expect(cfssl.statuses().map.get(c.serial)).toBe("revoked");
    const row = await w.db.certificate.findUniqueOrThrow({ where: { id: c.id } });
    expect(row).toMatchObject({ status: "revoked", revocationReason: 1 });
    const sent = await w.db.auditEvent.findMany({ where: { action: "upstream.revoke", targetId: c.id } });
    expect(sent.map((e) => (e.data as { status: string }).status)).toEqual(["confirmed"]);
  });

  it("with cfssl down the 注销 is requested, not done: the job sends it later and only then marks it revoked", async () => {
    const c = renewed[1];
    await cfssl.kill();
    const out = await revoke(c);
    await cfssl.restart();
    expect(out.pending).toBe(true);
    expect((await w.db.certificate.findUniqueOrThrow({ where: { id: c.id } })).status).toBe("active");
    const intent = await w.db.upstreamRevocation.findUniqueOrThrow({ where: { certificateId: c.id } });
    expect(intent).toMatchObject({ state: "pending", attempts: 1 });
    expect(intent.lastError).toBeTruthy();

    // the helpdesk sees it once it waits for more than an hour
    expect((await stuckRevocations(w.db, later(0))).map((r) => r.certificateId)).not.toContain(c.id);
    expect((await stuckRevocations(w.db, later(61))).map((r) => r.certificateId)).toContain(c.id);
    // too early for the back-off: nothing sent; later: confirmed, revoked, the holder mailed
    expect((await sendUpstreamRevocations(w.db, getUpstreamIssuer()!, later(0))).confirmed).toBe(0);
    expect((await sendUpstreamRevocations(w.db, getUpstreamIssuer()!, later(5))).confirmed).toBe(1);
    expect(cfssl.statuses().map.get(c.serial)).toBe("revoked");
    expect((await w.db.certificate.findUniqueOrThrow({ where: { id: c.id } })).status).toBe("revoked");
    expect(await w.db.upstreamRevocation.findUniqueOrThrow({ where: { certificateId: c.id } })).toMatchObject({
      state: "confirmed",
      attempts: 2,
    });
    expect(await w.db.mailOutbox.count({ where: { certificateId: c.id, template: "revocation_confirmed" } })).toBe(1);
    await summary.verify(w.db, "注销 while the upstream is down", 1, [
      ["not marked revoked before the upstream confirmed", out.pending === true],
    ]);
  });

  it("证书状态查询 asks cfssl's OCSP responder: a certificate revoked at the CA shows revoked", async () => {
    const c = renewed[2];
    // the operator revokes it at the CA, not through the portal
    const r = await fetch(`${cfssl.url}/api/v1/cfssl/revoke`, {
      method: "POST",
      body: JSON.stringify({ serial: BigInt(`0x${c.serial}`).toString(), authority_key_id: "", reason: "1" }),
    });
    expect(r.status).toBe(200);
    await cfssl.serveOcsp();
    const status = await w
      .client()
      .ok<{ state: string; upstream?: { status: string } }>("POST", "/api/services/status", {
        json: { serial: c.serial },
      });
    expect(status.upstream?.status).toBe("revoked");
    expect(status.state).toBe("revoked");
    const good = await w.client().ok<{ state: string; upstream?: { status: string } }>("POST", "/api/services/status", {
      json: { serial: renewed[3].serial },
    });
    expect(good.upstream?.status).toBe("good");
    expect(good.state).not.toBe("revoked");
  });

  it("the upstream-CRL job marks certificates revoked at the CA as revoked in the registry", async () => {
    const c = renewed[2];
    expect((await w.db.certificate.findUniqueOrThrow({ where: { id: c.id } })).status).toBe("active");
    const crl = cfssl.crl();
    const server = http.createServer((_, res) => res.end(crl));
    await new Promise<void>((r) => server.listen(CRL_PORT, "127.0.0.1", () => r()));
    try {
      const out = await applyUpstreamCrl(w.db, `http://127.0.0.1:${CRL_PORT}/upstream.crl`, later(0));
      expect(out.marked).toBe(1);
      expect((await w.db.certificate.findUniqueOrThrow({ where: { id: c.id } })).status).toBe("revoked");
      expect((await applyUpstreamCrl(w.db, `http://127.0.0.1:${CRL_PORT}/upstream.crl`, later(0))).marked).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe("RA mode: /ocsp and /crl answer as configured (the portal signs neither)", () => {
  it("proxy: cfssl's OCSP answer and CRL go through, cached; the responder gone still answers from the cache", async () => {
    const c = renewed[3];
    const issuerDer = pemBlocks(cfssl.caPem, "CERTIFICATE")[0];
    const request = buildOcspRequest(c.der, issuerDer);
    const mode = {
      kind: "proxy" as const,
      ocspUrl: `http://127.0.0.1:${OCSP_PORT}`,
      crlUrl: `http://127.0.0.1:${CRL_PORT}/u.crl`,
      cacheSeconds: 60,
    };
    const first = await answerRaOcsp(
      mode,
      { method: "POST", body: request, contentType: "application/ocsp-request" },
      2000,
    );
    expect(first.status).toBe(200);
    expect(readOcspResponse(first.body, c.serial, new X509Certificate(issuerDer)).status).toBe("good");
    await cfssl.stop(); // the responder (and cfssl) gone: the cached answer still serves
    const again = await answerRaOcsp(
      mode,
      { method: "GET", path: encodeURIComponent(request.toString("base64")) },
      2000,
    );
    expect(again.body.equals(first.body)).toBe(true);
    // a request never seen, with the responder gone: OCSP tryLater, not a portal-signed answer
    const other = await answerRaOcsp(mode, { method: "POST", body: buildOcspRequest(renewed[4].der, issuerDer) }, 2000);
    expect(other.body.equals(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x03]))).toBe(true);
    const crl = await answerRaCrl(mode, 2000);
    expect(crl.status).toBe(503);
    await cfssl.restart();
  });

  it("pointer: 404 naming the CA's responder, through the portal's own /ocsp and /crl routes", async () => {
    const ocsp = await fetch(`${w.base}/ocsp`, {
      method: "POST",
      headers: { "content-type": "application/ocsp-request" },
      body: new Uint8Array(Buffer.from([0x30, 0x00])),
    });
    expect(ocsp.status).toBe(404);
    expect(await ocsp.text()).toContain("registration authority");
    const crl = await fetch(`${w.base}/crl/issuing.crl`);
    expect(crl.status).toBe(404);
    expect(await crl.text()).toContain("注册机构");
  });
});
