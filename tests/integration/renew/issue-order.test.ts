import "@/tests/helpers/env";
import { createPublicKey } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { addOneYear } from "@/lib/pki/issue";
import { certificateInfo } from "@/lib/pki/cert-info";
import { pemBlocks, sha256Hex } from "@/lib/pki/x509";
import { holderLogin } from "@/lib/renewal/flow";
import { confirmInstalled, issueForOrder, resumeIssuance } from "@/lib/renewal/issue-order";
import { transitionOrder } from "@/lib/orders/machine";
import { openssl, writePem } from "@/tests/helpers/pki";
import {
  AT_NOW,
  holder,
  holderActor,
  markPaid,
  newClock,
  newKeyAndCsr,
  useRenewWorld,
  issueWithProof,
  signedChallenge,
  submitOrder,
  type Holder,
} from "./fixture";
import { withTx } from "@/lib/audit";

let db: Db;
let ca: Ca;
let origin: string;
const tmp = mkdtempSync(path.join(os.tmpdir(), "renew-issue-"));

const world = useRenewWorld();
beforeAll(() => ({ db, ca, origin } = world));
afterAll(() => {
  delete process.env.REVOKE_SUPERSEDED_ON_RENEWAL;
});

/** A holder with a submitted order (unified: ready to issue; self-paying: awaiting payment). */
async function submitted(opts: { payerClass?: "self" | "unified" } = {}) {
  const h = await holder(db, ca, { payerClass: opts.payerClass ?? "unified", certType: "organisation" });
  const order = await submitOrder(db, h.row.id);
  return { h, order };
}

function issue(h: Holder, orderId: string, csr: Buffer, clock = newClock()) {
  return issueWithProof(db, h, { orderId, csr, origin, ca, clock });
}

/** The leaf of a certs-only PKCS#7 as openssl reads it, checked against the test CA's chain. */
function opensslCheck(pkcs7: string, name: string) {
  const p7 = path.join(tmp, `${name}.p7b`);
  writeFileSync(p7, Buffer.from(pkcs7, "base64"));
  const certs = openssl(["pkcs7", "-inform", "DER", "-in", p7, "-print_certs"]);
  // the certificates are a DER SET OF (sorted by encoding): the leaf is the one that is not the CA's
  const pems = certs.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? [];
  expect(pems).toHaveLength(3);
  const leaves = pems.filter(
    (pem) =>
      !pemBlocks(pem, "CERTIFICATE")[0].equals(ca.rootCert) && !pemBlocks(pem, "CERTIFICATE")[0].equals(ca.issuingCert),
  );
  expect(leaves).toHaveLength(1);
  const leafPem = leaves[0];
  writeFileSync(path.join(tmp, `${name}.pem`), leafPem);
  const files = writePem(tmp, { root: ca.rootCert, issuing: ca.issuingCert });
  const verify = openssl([
    "verify",
    ...AT_NOW,
    "-CAfile",
    files.root,
    "-untrusted",
    files.issuing,
    path.join(tmp, `${name}.pem`),
  ]);
  const subject = openssl([
    "x509",
    "-in",
    path.join(tmp, `${name}.pem`),
    "-noout",
    "-subject",
    "-nameopt",
    "RFC2253",
  ]).trim();
  const endDate = openssl(["x509", "-in", path.join(tmp, `${name}.pem`), "-noout", "-enddate"]).trim();
  return { verify, subject, endDate };
}

function opensslSubject(der: Buffer, name: string): string {
  const file = writePem(tmp, { [name]: der })[name];
  return openssl(["x509", "-in", file, "-noout", "-subject", "-nameopt", "RFC2253"]).trim();
}

describe("下证 (issuance for an order)", () => {
  it("issues a unified-payment renewal that chains to the CA, keeps the subject and ends one year after the old expiry", async () => {
    const { h, order } = await submitted();
    const { key, csr } = newKeyAndCsr();
    const r = await issue(h, order.id, csr);
    const check = opensslCheck(r.pkcs7, "unified");
    expect(check.verify).toContain(": OK");
    expect(check.subject).toBe(opensslSubject(h.der, "old-unified"));
    const info = certificateInfo(Buffer.from(r.certificate.der));
    expect(info.notAfter.toISOString()).toBe(addOneYear(h.row.notAfter).toISOString());
    expect(info.spkiSha256).toBe(sha256Hex(createPublicKey(key).export({ type: "spki", format: "der" })));
    const after = await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
    expect([after.state, after.issuedCertificateId]).toEqual(["issued", r.certificate.id]);
  });

  it("returns the same certificate when 下证 is repeated with the same key (no second issuance)", async () => {
    const { h, order } = await submitted();
    const { csr } = newKeyAndCsr();
    const first = await issue(h, order.id, csr);
    const again = await issue(h, order.id, csr);
    expect(again.certificate.serial).toBe(first.certificate.serial);
    expect(
      await db.certificate.count({ where: { OR: [{ previousId: h.row.id }, { serial: first.certificate.serial }] } }),
    ).toBe(1);
  });

  it("issues once when two 下证 requests for the same key race", async () => {
    const { h, order } = await submitted();
    const { csr } = newKeyAndCsr();
    const results = await Promise.allSettled([issue(h, order.id, csr), issue(h, order.id, csr)]);
    const serials = new Set(results.flatMap((r) => (r.status === "fulfilled" ? [r.value.certificate.serial] : [])));
    expect(serials.size).toBe(1);
    expect(
      await db.certificate.count({
        where: { issuerDn: ca.issuerDn, holderName: h.row.holderName, NOT: { id: h.row.id } },
      }),
    ).toBe(1);
  });

  it("re-issues for a new key when the pending key was lost, and revokes the orphaned certificate", async () => {
    const { h, order } = await submitted();
    const lost = await issue(h, order.id, newKeyAndCsr().csr);
    const second = await issue(h, order.id, newKeyAndCsr().csr);
    expect(second.certificate.serial).not.toBe(lost.certificate.serial);
    const orphan = await db.certificate.findUniqueOrThrow({ where: { id: lost.certificate.id } });
    expect([orphan.status, orphan.revocationReason, orphan.previousId]).toEqual(["revoked", 4, null]);
    const after = await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
    expect([after.state, after.issuedCertificateId]).toEqual(["issued", second.certificate.id]);
    const crl = await db.crl.findFirstOrThrow({ orderBy: { crlNumber: "desc" } });
    const crlFile = path.join(tmp, "orphan.crl");
    writeFileSync(crlFile, Buffer.from(crl.der));
    expect(openssl(["crl", "-inform", "DER", "-in", crlFile, "-noout", "-text"]).toUpperCase()).toContain(
      lost.certificate.serial.toUpperCase(),
    );
  });

  it("refuses 下证 of a self-paying order before payment, and issues once it is paid", async () => {
    const { h, order } = await submitted({ payerClass: "self" });
    const { csr } = newKeyAndCsr();
    await expect(issue(h, order.id, csr)).rejects.toMatchObject({ code: "RENEWAL_NOT_READY_TO_ISSUE" });
    await markPaid(db, order.id, newClock());
    const r = await issue(h, order.id, csr);
    expect(r.certificate.previousId).toBe(h.row.id);
  });

  it("refuses a CSR other than the one the old key confirmed, and a confirmation by another holder's key", async () => {
    const { h, order } = await submitted();
    const { csr } = newKeyAndCsr();
    const clock = newClock();
    const proof = await signedChallenge(db, h, clock, "issue", sha256Hex(newKeyAndCsr().csr));
    await expect(
      issueForOrder(db, {
        orderId: order.id,
        csrDer: csr,
        ...proof,
        origin,
        actor: holderActor,
        clock,
        certificateId: h.row.id,
        ca,
      }),
    ).rejects.toMatchObject({ code: "POP_CSR_MISMATCH" });

    const other = await holder(db, ca);
    const foreign = await signedChallenge(db, other, clock, "issue", sha256Hex(csr));
    await expect(
      issueForOrder(db, { orderId: order.id, csrDer: csr, ...foreign, origin, actor: holderActor, clock, ca }),
    ).rejects.toMatchObject({ code: "POP_SIGNATURE_INVALID" });
    const stolen = await signedChallenge(db, h, clock, "issue", sha256Hex(csr));
    await expect(
      issueForOrder(db, {
        orderId: order.id,
        csrDer: csr,
        ...stolen,
        origin,
        actor: holderActor,
        clock,
        certificateId: other.row.id,
        ca,
      }),
    ).rejects.toMatchObject({ code: "ORDER_NOT_FOUND" });
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("submitted");
  });

  it("refuses a CSR carrying the old key", async () => {
    const { h, order } = await submitted();
    const { createCsr } = await import("@/lib/dev/testing/csr-build");
    const csr = createCsr(h.key);
    await expect(issue(h, order.id, csr)).rejects.toMatchObject({ code: "CSR_KEY_REUSED" });
  });

  it("finishes an order left in issuing with its CSR stored (recovery after a crash)", async () => {
    const { h, order } = await submitted();
    const { csr } = newKeyAndCsr();
    const clock = newClock();
    await withTx(db, (tx) =>
      transitionOrder(tx, {
        orderId: order.id,
        to: "issuing",
        actor: holderActor,
        clock,
        set: { csrDer: new Uint8Array(csr), newSpkiSha256: "x" },
      }),
    );
    const cert = await resumeIssuance(db, order.id, clock, ca);
    expect(cert?.previousId).toBe(h.row.id);
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("issued");
    expect(await resumeIssuance(db, order.id, clock, ca)).toBeNull();
  });
});

describe("install confirmation", () => {
  it("completes the order and supersedes the old certificate (kept valid unless configured to revoke)", async () => {
    const { h, order } = await submitted();
    await issue(h, order.id, newKeyAndCsr().csr);
    await expect(
      confirmInstalled(db, { orderId: order.id, actor: holderActor, clock: newClock(), certificateId: h.row.id }),
    ).resolves.toMatchObject({ state: "installed" });
    const old = await db.certificate.findUniqueOrThrow({ where: { id: h.row.id } });
    expect([old.status, old.revokedAt]).toEqual(["superseded", null]);
    await expect(
      confirmInstalled(db, { orderId: order.id, actor: holderActor, clock: newClock(), certificateId: h.row.id }),
    ).resolves.toMatchObject({ state: "installed" });
  });

  it("revokes the old certificate when REVOKE_SUPERSEDED_ON_RENEWAL is set (the route passes the CA)", async () => {
    const { h, order } = await submitted();
    await issue(h, order.id, newKeyAndCsr().csr);
    await confirmInstalled(db, {
      orderId: order.id,
      actor: holderActor,
      clock: newClock(),
      certificateId: h.row.id,
      revokeSupersededWith: ca,
    });
    const old = await db.certificate.findUniqueOrThrow({ where: { id: h.row.id } });
    expect([old.status, old.revocationReason]).toEqual(["revoked", 4]);
  });

  it("refuses before the certificate is issued", async () => {
    const { h, order } = await submitted();
    await expect(
      confirmInstalled(db, { orderId: order.id, actor: holderActor, clock: newClock(), certificateId: h.row.id }),
    ).rejects.toMatchObject({ code: "RENEWAL_NOT_ISSUED" });
  });

  it("completes the order when the holder signs in with the new certificate after the page was closed", async () => {
    const { h, order } = await submitted();
    const { key, csr } = newKeyAndCsr();
    const issued = await issue(h, order.id, csr);
    const clock = newClock();
    const proof = await signedChallenge(db, { row: { serial: issued.certificate.serial }, key }, clock);
    const login = await holderLogin(db, { ...proof, origin, actor: { ...holderActor, ip: "10.9.9.9" }, clock });
    expect([login.step, login.certificateId]).toEqual(["done", h.row.id]);
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("installed");
  });

  it("keeps the audit chain intact through the whole renewal", async () => {
    const { verifyAuditChain } = await import("@/lib/audit");
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });
});
