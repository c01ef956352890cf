import "@/tests/helpers/env";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualBackend } from "@/agent/backends/virtual";
import { createVirtualToken, importKeyAndCertificate, readTokenFile, writeTokenFile } from "@/lib/token/virtual-store";
import { scheduleUnplug } from "@/lib/dev/testing/virtual-token";
import { certificatesFromPkcs7 } from "@/agent/x509";
import { Recorder } from "@/lib/dev/sim/stats";
import { runHolderFlow } from "@/lib/dev/sim/holder-flow";
import type { HolderClient } from "@/lib/dev/sim/http";
import type { SimHolder } from "@/lib/dev/sim/holders";
import { startWorld, type World } from "./helpers/world";
import { useFaultSummary } from "./helpers/summary";

/**
 * 下证 with the key pulled out at each step the virtual token can fail (its test hook), then plugged in again:
 * the order must end with exactly one live certificate on the key, and the retry must not issue a second one.
 */

const PIN = "111111";
let w: World;
let backend: VirtualBackend;
let tokenDir: string;
const summary = useFaultSummary("key unplugged during 下证");

beforeAll(async () => {
  w = await startWorld();
  tokenDir = path.join(w.dataDir, "tokens");
  backend = new VirtualBackend({ dir: tokenDir, testHooks: true });
});
afterAll(async () => {
  await w?.close();
});

/** A holder whose key and certificate sit on a virtual token, paid and ready for 下证. */
async function paidHolderOnToken(): Promise<{ h: SimHolder; token: string; client: HolderClient; orderId: string }> {
  const [h] = await w.holders(1);
  const token = `UK${h.index.toString().padStart(6, "0")}`;
  const t = createVirtualToken({ dir: tokenDir, label: token, serial: token, pin: PIN, soPin: "so-pin-1234" });
  const cert = await w.db.certificate.findUniqueOrThrow({ where: { id: h.certificateId } });
  importKeyAndCertificate(t, { privateKey: h.key, certificateDer: Buffer.from(cert.der), id: "01" });
  const client = w.client();
  const r = await runHolderFlow(client, h, new Recorder(), { until: "invoice-skip", pollMs: 50 });
  return { h, token, client, orderId: r.orderId! };
}

/** The page's 下证 button: key pair + CSR on the token, issue challenge signed by the old key, issue, install, proof by the new key. */
async function download(p: { token: string; client: HolderClient; orderId: string }) {
  const { csr } = await backend.keygen(p.token, { certId: "01", pin: PIN });
  const { challenge } = await p.client.ok<{ challenge: string }>("POST", "/api/renew/issue-challenge", {
    json: { orderId: p.orderId, csr },
  });
  const { signature } = await backend.sign(p.token, { certId: "01", pin: PIN, data: Buffer.from(challenge, "utf8") });
  const issued = await p.client.ok<{ pkcs7: string; certificate: { serial: string } }>("POST", "/api/renew/issue", {
    json: { orderId: p.orderId, csr, challenge, signature },
    idempotent: true,
  });
  const placed = await backend.install(p.token, {
    pin: PIN,
    certificates: certificatesFromPkcs7(Buffer.from(issued.pkcs7, "base64")),
  });
  // the install confirmation: the new key signs a login challenge for the new certificate
  const proof = await p.client.ok<{ challenge: string }>("POST", "/api/renew/challenge", {
    json: { serial: issued.certificate.serial },
  });
  const byNewKey = await backend.sign(p.token, {
    certId: placed.certificate.id,
    pin: PIN,
    data: Buffer.from(proof.challenge, "utf8"),
  });
  const done = await p.client.ok<{ state: string }>("POST", "/api/renew/installed", {
    json: { orderId: p.orderId, challenge: proof.challenge, signature: byNewKey.signature },
    idempotent: true,
  });
  return { serial: issued.certificate.serial, state: done.state };
}

function onToken(token: string, serial: string): boolean {
  return readTokenFile(tokenDir, token).certificates.some(
    (c) => c.der && Buffer.from(c.der, "base64").toString("hex").includes(serial),
  );
}

describe("key unplugged during 下证", () => {
  for (const step of [
    "keygen:before-write",
    "sign",
    "install:before-write",
    "install:after-write",
    "install:before-remove",
  ]) {
    it(`unplugged at ${step}: the retry installs the one certificate of the order`, async () => {
      const p = await paidHolderOnToken();
      scheduleUnplug(tokenDir, p.token, step);
      await expect(download(p)).rejects.toMatchObject({ code: "TOKEN_REMOVED" });
      const retry = await download(p);
      const order = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: p.orderId } });
      const issuedCount = await w.db.auditEvent.count({
        where: { action: "certificate.issued", data: { path: ["orderId"], equals: p.orderId } },
      });
      await summary.verify(
        w.db,
        `key unplugged at ${step}`,
        1,
        [
          ["order installed after the retry", retry.state === "installed" && order.state === "installed"],
          [`issued once (${issuedCount})`, issuedCount === 1],
          ["the new certificate is on the key", onToken(p.token, retry.serial)],
        ],
        { orderIds: [p.orderId] },
      );
    });
  }

  it("a pending key lost with the token (reset between attempts) gets a new certificate and the orphan is revoked", async () => {
    const p = await paidHolderOnToken();
    scheduleUnplug(tokenDir, p.token, "install:before-write");
    await expect(download(p)).rejects.toMatchObject({ code: "TOKEN_REMOVED" });
    const file = readTokenFile(tokenDir, p.token);
    writeTokenFile(tokenDir, { ...file, keys: file.keys.filter((k) => k.pendingFor === null) });
    const retry = await download(p);
    const issued = await w.db.auditEvent.findMany({
      where: { action: "certificate.issued", data: { path: ["orderId"], equals: p.orderId } },
    });
    const certs = await w.db.certificate.findMany({ where: { id: { in: issued.map((e) => e.targetId!) } } });
    await summary.verify(
      w.db,
      "pending key lost → reissue",
      1,
      [
        ["two issuances, one live", certs.length === 2 && certs.filter((c) => c.status !== "revoked").length === 1],
        [
          "the live one is on the key",
          onToken(p.token, retry.serial) && certs.find((c) => c.status !== "revoked")?.serial === retry.serial,
        ],
      ],
      { orderIds: [p.orderId] },
    );
  });
});
