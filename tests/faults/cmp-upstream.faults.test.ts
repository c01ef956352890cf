import "@/tests/helpers/env";
import { writeFileSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MINUTE, type Clock } from "@/lib/clock";
import { newKeyAndCsr, signChallenge } from "@/lib/dev/sim/holders";
import type { HolderClient } from "@/lib/dev/sim/http";
import {
  CMP_MOCK_MAC_ARGS,
  CMP_MOCK_REF,
  CMP_MOCK_SECRET,
  CMP_MOCK_SIGNATURE_ARGS,
  cmpMockAnswer,
  createCmpMockPki,
  startCmpMock,
  type CmpMock,
  type CmpMockPki,
} from "@/lib/dev/testing/cmp-mock";
import { getConfig } from "@/lib/config";
import { getUpstreamIssuer, resetUpstreamIssuer, upstreamIssuerFor } from "@/lib/pki/issuers";
import { deserialize } from "@/lib/pki/issuers/cmp/transactions";
import { sha256Hex } from "@/lib/pki/x509";
import { retryUpstreamIssuance } from "@/lib/renewal/upstream-issue";
import { derToPem } from "@/tests/helpers/pem";
import { startWorld, type World } from "./helpers/world";
import { issue, paidHolder } from "./helpers/paid-holder";
import { useFaultSummary } from "./helpers/summary";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy";

/**
 * RA mode over CMP (ISSUER=cmp) end to end: the wizard's API against OpenSSL's own CMP server (`openssl cmp -port`,
 * MAC-protected), started and stopped by the test. The mock answers every certification request with one fixed
 * certificate, so before each renewal its CA issues the "renewed" certificate for the CSR's key and the mock is
 * (re)started answering with it. OpenSSL 3.0's mock also insists that a kur's oldCertID names that certificate's
 * issuer and serial, i.e. that the renewal keep the old serial, which the registry (one row per serial) cannot
 * hold: these tests renew with CMP_RENEWAL_REQUEST=p10cr (the holder's CSR, its signature the proof of possession);
 * kur itself is tested against the mock at the client level (tests/integration/pki/cmp-issuer.test.ts).
 */

const MOCK_PORT = 31901;
const PROXY_PORT = 31902;
let w: World;
let proxy: TcpProxy;
let pki: CmpMockPki;
let mock: CmpMock | undefined;
const summary = useFaultSummary("RA mode: upstream CA (CMP, openssl mock) faults");
const renewed: { id: string; serial: string; der: Buffer; key: KeyObject; client: HolderClient; name: string }[] = [];
const later = (minutes: number): Clock => ({ now: () => new Date(Date.now() + minutes * MINUTE) });
let certCount = 0;

beforeAll(async () => {
  pki = createCmpMockPki();
  // the portal reaches the mock through a TCP proxy (pass, or the faults on the way: cut answers)
  proxy = await startTcpProxy(PROXY_PORT, { host: "127.0.0.1", port: MOCK_PORT });
  w = await startWorld({
    ISSUER: "cmp",
    CMP_SERVER_URL: `${proxy.url}/pkix/`,
    CMP_REF: CMP_MOCK_REF,
    CMP_SECRET: CMP_MOCK_SECRET,
    CMP_TRUSTED: pki.file("root.crt"),
    CMP_RENEWAL_REQUEST: "p10cr",
    UPSTREAM_TIMEOUT_MS: "3000",
  });
  resetUpstreamIssuer();
});
afterAll(async () => {
  await stopMock();
  await w?.close();
  await proxy?.close();
});

/** The mock CA issues the certificate for this CSR's key in advance; the mock is restarted to answer with it. */
async function upstreamWillIssue(csr: Buffer, serverArgs: string[] = CMP_MOCK_MAC_ARGS): Promise<string> {
  const name = `renewed${++certCount}`;
  writeFileSync(pki.file(`${name}.csr`), derToPem(csr, "CERTIFICATE REQUEST"));
  pki.issue(name, { ca: "issuing", ext: "ee" });
  await restartMock(name, serverArgs);
  return name;
}

async function restartMock(name: string, serverArgs: string[] = CMP_MOCK_MAC_ARGS, extra: string[] = []) {
  await stopMock();
  mock = await startCmpMock(pki, [...serverArgs, ...cmpMockAnswer(name), ...extra], MOCK_PORT);
}

async function stopMock() {
  const stopping = mock?.stop();
  mock = undefined;
  await stopping;
}

/** How often the mock did something so far ("sending CP" = a certificate handed out). */
const count = async (m: CmpMock, what: string, last = what) =>
  (await m.messages(last)).filter((x) => x === what).length;

function verifyWithMockCa(der: Buffer): string {
  const file = pki.file(`leaf-${sha256Hex(der).slice(0, 8)}.pem`);
  writeFileSync(file, derToPem(der));
  return pki.openssl(["verify", "-CAfile", "root.crt", "-untrusted", "issuing.crt", file]);
}

async function cmpEvents(targetId: string) {
  const rows = await w.db.auditEvent.findMany({ where: { action: "upstream.cmp", targetId }, orderBy: { seq: "asc" } });
  return rows.map(
    (e) => e.data as { request: string; answer: string | null; pkiStatus: number | null; error: string | null },
  );
}

async function issuedCertificate(orderId: string) {
  const order = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: orderId } });
  expect(order.state).toBe("issued");
  return w.db.certificate.findUniqueOrThrow({ where: { id: order.issuedCertificateId! } });
}

describe("RA mode through CMP (openssl's mock server)", () => {
  it("renews through the wizard's API: the certificate is the CMP server's and openssl verifies it", async () => {
    const p = await paidHolder(w);
    const { csr, key } = newKeyAndCsr();
    const name = await upstreamWillIssue(csr);
    const r = await issue(p, csr);
    expect(r.status).toBe(200);
    const cert = await issuedCertificate(p.orderId);
    expect(Buffer.from(cert.der).equals(pki.der(`${name}.crt`))).toBe(true);
    expect(cert.issuerDn).toContain("Mock Issuing CA");
    expect(verifyWithMockCa(Buffer.from(cert.der))).toContain(": OK");
    expect(Buffer.from(cert.chainDer!).equals(pki.der("issuing.crt"))).toBe(true);
    renewed.push({ id: cert.id, serial: cert.serial, der: Buffer.from(cert.der), key, client: p.client, name });

    const seen = await mock!.messages("sending PKICONF");
    expect(seen).toEqual(["received P10CR", "sending CP", "received CERTCONF", "sending PKICONF"]);
    // every CMP message is an audit event on the order, beside the one upstream.renew of the call
    const events = await cmpEvents(p.orderId);
    expect(events.map((e) => [e.request, e.answer, e.pkiStatus])).toEqual([
      ["p10cr", "cp", 0],
      ["certConf", "pkiconf", null],
    ]);
    const calls = await w.db.auditEvent.findMany({ where: { action: "upstream.renew", targetId: p.orderId } });
    expect(calls.map((e) => (e.data as { status: string }).status)).toEqual(["issued"]);
    expect(await w.db.cmpTransaction.count()).toBe(0);
    await summary.verify(w.db, "no fault (baseline)", 0, [
      ["order issued by the CMP server", cert.status === "active"],
    ]);
  });

  it("a holder's 注销 reaches the CMP server (rr) and only its confirmation marks the certificate revoked", async () => {
    const c = renewed[0];
    await restartMock(c.name); // the mock revokes only the certificate it hands out
    const { challenge } = await c.client.ok<{ challenge: string }>("POST", "/api/services/revoke/challenge", {
      json: { certificate: c.der.toString("base64") },
    });
    const out = await c.client.ok<{ pending?: boolean }>("POST", "/api/services/revoke", {
      json: { challenge, signature: signChallenge(c.key, challenge), reason: "keyCompromise", confirmed: true },
    });
    expect(out.pending).toBe(false);
    expect(await mock!.messages("sending RP")).toEqual(["received RR", "sending RP"]);
    expect(await w.db.certificate.findUniqueOrThrow({ where: { id: c.id } })).toMatchObject({
      status: "revoked",
      revocationReason: 1,
    });
    expect((await cmpEvents(c.id)).map((e) => [e.request, e.answer, e.pkiStatus])).toEqual([["rr", "rp", 0]]);
  });
});

describe("RA mode through CMP with signature protection (CMP_CERT/CMP_KEY)", () => {
  it("the RA signs its requests with its key file, the mock signs its answers; the job renews the order", async () => {
    const p = await paidHolder(w);
    const { csr } = newKeyAndCsr();
    const name = await upstreamWillIssue(csr, CMP_MOCK_SIGNATURE_ARGS);
    await stopMock();
    expect((await issue(p, csr)).status).toBe(503); // the order waits in issuing for the job
    await restartMock(name, CMP_MOCK_SIGNATURE_ARGS);
    const signed = upstreamIssuerFor({
      ...getConfig(),
      CMP_REF: undefined,
      CMP_SECRET: undefined,
      CMP_CERT: pki.file("ra.crt"),
      CMP_KEY: pki.file("ra.key"),
    })!;
    expect((await retryUpstreamIssuance(w.db, { upstream: signed }, later(5))).issued).toBe(1);
    const cert = await issuedCertificate(p.orderId);
    expect(Buffer.from(cert.der).equals(pki.der(`${name}.crt`))).toBe(true);
    expect(verifyWithMockCa(Buffer.from(cert.der))).toContain(": OK");
    expect((await cmpEvents(p.orderId)).map((e) => [e.request, e.answer])).toEqual([
      ["p10cr", null],
      ["p10cr", "cp"],
      ["certConf", "pkiconf"],
    ]);
  });
});

describe("RA mode through CMP: faults", () => {
  it("CMP server down, then up: 稍后重试, the order waits paid in issuing, the job completes it, one certificate", async () => {
    const p = await paidHolder(w);
    const { csr } = newKeyAndCsr();
    const name = await upstreamWillIssue(csr);
    await stopMock();
    const failed = await issue(p, csr);
    expect(failed.status).toBe(503);
    expect(failed.body.error?.code).toBe("UPSTREAM_RETRY_LATER");
    expect(failed.body.error?.message).toContain("稍后重试");
    const waiting = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
    expect(waiting).toMatchObject({ state: "issuing", issuedCertificateId: null });
    expect(waiting.paidAt).toBeTruthy();
    expect(waiting.upstreamLastError).toMatch(/CMP server/);
    const [down] = await cmpEvents(p.orderId);
    expect(down).toMatchObject({ request: "p10cr", answer: null });
    expect(down.error).toBeTruthy();

    await restartMock(name);
    const pass = await retryUpstreamIssuance(w.db, { upstream: getUpstreamIssuer()! }, later(5));
    expect(pass.issued).toBe(1);
    const cert = await issuedCertificate(p.orderId);
    expect(verifyWithMockCa(Buffer.from(cert.der))).toContain(": OK");
    // the holder presses 下证 again: the same certificate, nothing asked of the CA
    const again = await issue(p, csr);
    expect(again.status).toBe(200);
    expect(again.body.certificate?.serial).toBe(cert.serial);
    const handedOut = await count(mock!, "sending CP", "sending PKICONF");
    expect(handedOut).toBe(1);
    await summary.verify(w.db, "CMP server down, then up", 1, [
      ["holder told 稍后重试 (503)", failed.status === 503],
      ["completed by the job", cert.status === "active"],
      ["one certificate from the CA", handedOut === 1],
      ["retry hands out the same certificate", again.body.certificate?.serial === cert.serial],
    ]);
  });

  it("the CA keeps it waiting: the open transaction is in the database, another instance polls it to the end", async () => {
    const p = await paidHolder(w);
    const { csr } = newKeyAndCsr();
    const name = await upstreamWillIssue(csr);
    // waiting, then a pollRep whose checkAfter is longer than one renew() waits (30 s): `pending`; the second poll
    // gets the certificate
    await restartMock(name, CMP_MOCK_MAC_ARGS, ["-poll_count", "2", "-check_after", "120"]);
    const first = await issue(p, csr);
    expect(first.status).toBe(503);
    expect(first.body.error?.code).toBe("UPSTREAM_RETRY_LATER");
    const open = await w.db.cmpTransaction.findMany();
    expect(open).toHaveLength(1);
    expect(deserialize(open[0].state)?.kind).toBe("waiting");

    // a restart (or another instance): a new issuer, nothing in its memory; the job two minutes later
    resetUpstreamIssuer();
    const pass = await retryUpstreamIssuance(w.db, { upstream: getUpstreamIssuer()! }, later(3));
    expect(pass.issued).toBe(1);
    const cert = await issuedCertificate(p.orderId);
    expect(verifyWithMockCa(Buffer.from(cert.der))).toContain(": OK");
    const seen = await mock!.messages("sending PKICONF");
    expect(seen.filter((m) => m.startsWith("received"))).toEqual([
      "received P10CR",
      "received POLLREQ",
      "received POLLREQ",
      "received CERTCONF",
    ]);
    expect(await w.db.cmpTransaction.count()).toBe(0);
    const events = await cmpEvents(p.orderId);
    expect(events.map((e) => [e.request, e.answer, e.pkiStatus])).toEqual([
      ["p10cr", "cp", 3],
      ["pollReq", "pollRep", 3],
      ["pollReq", "cp", 0],
      ["certConf", "pkiconf", null],
    ]);
    await summary.verify(w.db, "CMP CA waiting across a restart", 1, [
      ["open transaction kept in the database", open.length === 1],
      ["continued, not asked again", seen.filter((m) => m === "received P10CR").length === 1],
    ]);
  });

  it("an error answer that may change (the CA cannot check our MAC) keeps the order; the job completes it", async () => {
    const p = await paidHolder(w);
    const { csr } = newKeyAndCsr();
    const name = await upstreamWillIssue(csr, ["-srv_ref", CMP_MOCK_REF, "-srv_secret", "pass:another-secret"]);
    const failed = await issue(p, csr);
    expect(failed.status).toBe(503);
    expect(failed.body.error?.code).toBe("UPSTREAM_RETRY_LATER");
    const waiting = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
    expect(waiting).toMatchObject({ state: "issuing", flagged: false });
    expect(await w.db.refund.count({ where: { orderId: p.orderId } })).toBe(0);

    await restartMock(name); // the operator fixes the secret
    expect((await retryUpstreamIssuance(w.db, { upstream: getUpstreamIssuer()! }, later(5))).issued).toBe(1);
    const cert = await issuedCertificate(p.orderId);
    expect(verifyWithMockCa(Buffer.from(cert.der))).toContain(": OK");
    await summary.verify(w.db, "CMP error answer that may change", 1, [
      ["not refunded", waiting.state === "issuing"],
      ["completed by the job", cert.status === "active"],
    ]);
  });

  it("the CMP server dies after issuing, before its answer arrives: 稍后重试, the job completes it", async () => {
    const p = await paidHolder(w);
    const { csr } = newKeyAndCsr();
    const name = await upstreamWillIssue(csr);
    proxy.mode = "cut";
    const failed = await issue(p, csr);
    proxy.mode = "pass";
    expect(failed.status).toBe(503);
    expect(failed.body.error?.code).toBe("UPSTREAM_RETRY_LATER");
    expect(await count(mock!, "sending CP")).toBe(1); // the CA answered; the portal never heard it
    expect((await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } })).state).toBe("issuing");

    expect((await retryUpstreamIssuance(w.db, { upstream: getUpstreamIssuer()! }, later(5))).issued).toBe(1);
    const cert = await issuedCertificate(p.orderId);
    expect(Buffer.from(cert.der).equals(pki.der(`${name}.crt`))).toBe(true);
    // the retry is the same CMP transaction (same transactionID); the first certificate was never confirmed
    // (certConf), which RFC 9483 leaves the CA to withdraw. OpenSSL's mock takes the first transaction as aborted
    // and answers again with its one certificate; a CA that still holds it answers transactionIdInUse (retryable).
    expect(await mock!.messages("sending PKICONF")).toEqual([
      "received P10CR",
      "sending CP",
      "received P10CR",
      "sending CP",
      "received CERTCONF",
      "sending PKICONF",
    ]);
    const events = await w.db.auditEvent.findMany({
      where: { action: "upstream.cmp", targetId: p.orderId },
      orderBy: { seq: "asc" },
    });
    const ids = new Set(events.map((e) => (e.data as { transactionId: string }).transactionId));
    expect(events.map((e) => (e.data as { request: string }).request)).toEqual(["p10cr", "p10cr", "certConf"]);
    expect(ids.size).toBe(1);
    await summary.verify(w.db, "CMP server dies after issuing, before answering", 1, [
      ["holder told 稍后重试 (503)", failed.status === 503],
      ["completed by the job", cert.status === "active"],
      ["retried under the same transactionID", ids.size === 1],
    ]);
  });

  it("a final refusal (rejection, badRequest) refunds the paid order and flags it; nothing is issued", async () => {
    const p = await paidHolder(w);
    const { csr } = newKeyAndCsr();
    const name = await upstreamWillIssue(csr);
    await restartMock(name, CMP_MOCK_MAC_ARGS, ["-send_error"]);
    const refused = await issue(p, csr);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe("UPSTREAM_REFUSED");
    const order = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
    expect(["refund_pending", "refunded"]).toContain(order.state);
    expect(order).toMatchObject({ flagged: true, flagReason: "upstream_refused", issuedCertificateId: null });
    expect(await w.db.refund.count({ where: { orderId: p.orderId } })).toBe(1);
    expect(await count(mock!, "sending CP", "sending ERROR")).toBe(0);
    const [event] = await cmpEvents(p.orderId);
    expect(event).toMatchObject({ request: "p10cr", answer: "error", pkiStatus: 2 });
    await summary.verify(w.db, "CMP CA refuses for good", 1, [
      ["refunded, not issued", order.issuedCertificateId === null],
    ]);
  });
});
