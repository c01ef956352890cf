import type { Db, Tx } from "../db";
import type { Clock } from "../clock";
import type { Certificate, RenewalOrder } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import type { Ca } from "../pki/ca";
import { assertRekey, parseCsr, type ParsedCsr } from "../pki/csr";
import { issueRenewal } from "../pki/issue";
import { pkcs7CertsOnlyBase64 } from "../pki/pkcs7";
import { profileFor } from "../pki/profiles";
import { revokeCertificate } from "../pki/revoke";
import { sha256Hex } from "../pki/x509";
import { transitionOrder } from "../orders/machine";
import { verifyProof } from "./pop";

/**
 * 下证 on the server. Issuance is two committed steps so nothing is lost if a process dies in between:
 *   1. the order enters `issuing` with the verified CSR stored;
 *   2. the certificate is issued and the order enters `issued`.
 * A retry with the same key gets the same certificate back; a retry with a new key (the pending key on the
 * token was lost) issues again and revokes the orphaned certificate, whose key no longer exists anywhere.
 */

const SYSTEM: Actor = { type: "system", id: "renewal.issue" };

/**
 * Holds the order's row until the transaction ends: concurrent 下证 requests of one order take their turns, so the
 * second sees what the first stored (and never inserts a second certificate: PostgreSQL's unique violation).
 */
async function lockOrder(tx: Tx, orderId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM "RenewalOrder" WHERE "id" = ${orderId} FOR UPDATE`;
}

async function loadOrder(db: Tx, orderId: string, certificateId?: string): Promise<RenewalOrder> {
  const order = await db.renewalOrder.findUnique({ where: { id: orderId } });
  if (!order || (certificateId !== undefined && order.certificateId !== certificateId))
    throw new DomainError("ORDER_NOT_FOUND");
  return order;
}

/** Whether an order may start or repeat 下证: paid, free and submitted, or already in issuance. */
export function readyToIssue(order: Pick<RenewalOrder, "state" | "priceFen">): boolean {
  if (order.state === "submitted") return order.priceFen === 0;
  return order.state === "paid" || order.state === "issuing" || order.state === "issued";
}

function bundle(cert: Certificate, ca: Ca): string {
  return pkcs7CertsOnlyBase64([Buffer.from(cert.der), ...ca.chain]);
}

/**
 * Revokes the certificate issued for a key the holder no longer has and unlinks it from the old certificate,
 * so the renewal can be issued again for the new key.
 */
async function dropOrphan(
  tx: Tx,
  orphan: Certificate,
  order: RenewalOrder,
  clock: Clock,
  ca: Ca,
  actor: Actor,
): Promise<void> {
  if (orphan.status !== "revoked")
    await revokeCertificate(tx, { serial: orphan.serial, reason: "superseded", clock, actor, ca });
  await tx.certificate.update({ where: { id: orphan.id }, data: { previousId: null } });
  await appendAudit(
    tx,
    {
      ...actorFields(actor),
      action: "order.reissue",
      targetType: "order",
      targetId: order.id,
      fromState: order.state,
      toState: "issuing",
      data: { orderNo: order.orderNo, orphanSerial: orphan.serial },
    },
    clock,
  );
}

/**
 * Step 2: issue from the stored CSR and enter `issued`. Safe to repeat. `verified` is the CSR this request's step 1
 * stored, as issueForOrder parsed and verified it: the answer carries a certificate for exactly that CSR's key, or is
 * CONFLICT when a concurrent request of the same order replaced the CSR (or was issued for another key) meanwhile.
 * Without `verified` (the recovery job resuming an issuance) the stored CSR is issued.
 */
async function completeIssuance(
  db: Db,
  orderId: string,
  clock: Clock,
  ca: Ca,
  actor: Actor,
  verified?: ParsedCsr,
): Promise<Certificate> {
  return withTx(db, async (tx) => {
    await lockOrder(tx, orderId);
    const order = await loadOrder(tx, orderId);
    if (order.state === "issued" && order.issuedCertificateId) {
      const issued = await tx.certificate.findUniqueOrThrow({ where: { id: order.issuedCertificateId } });
      if (verified && issued.spkiSha256 !== verified.spkiSha256) throw new DomainError("CONFLICT");
      return issued;
    }
    if (order.state !== "issuing" || !order.csrDer)
      throw new DomainError("RENEWAL_NOT_READY_TO_ISSUE", { state: order.state });
    const stored = Buffer.from(order.csrDer);
    if (verified && !verified.der.equals(stored)) throw new DomainError("CONFLICT");
    const old = await tx.certificate.findUniqueOrThrow({ where: { id: order.certificateId } });
    const created = await issueRenewal(tx, {
      oldCertificate: old,
      csr: verified ?? parseCsr(stored),
      orderId: order.id,
      clock,
      ca,
    });
    await transitionOrder(tx, {
      orderId: order.id,
      to: "issued",
      actor,
      clock,
      expectVersion: order.version,
      data: { serial: created.serial },
      set: { issuedCertificateId: created.id, issuedAt: clock.now() },
    });
    return created;
  });
}

/** Step 1: store the CSR and enter `issuing`, dropping an orphan issued for another key. */
async function beginIssuance(
  db: Db,
  orderId: string,
  csrDer: Buffer,
  spkiSha256: string,
  clock: Clock,
  ca: Ca,
  actor: Actor,
): Promise<Certificate | null> {
  return withTx(db, async (tx) => {
    await lockOrder(tx, orderId);
    const order = await loadOrder(tx, orderId);
    if (!readyToIssue(order)) throw new DomainError("RENEWAL_NOT_READY_TO_ISSUE", { state: order.state });
    const existing = await tx.certificate.findUnique({ where: { previousId: order.certificateId } });
    if (existing && existing.spkiSha256 === spkiSha256) {
      // same key as before: hand back the same certificate (finishing step 2 if a process died after issuing)
      if (order.state === "issued") return existing;
      if (order.state === "issuing") return null;
    }
    if (existing) await dropOrphan(tx, existing, order, clock, ca, actor);
    const set = {
      csrDer: new Uint8Array(csrDer),
      newSpkiSha256: spkiSha256,
      issuedCertificateId: null,
      issuedAt: null,
    };
    if (order.state === "issuing") {
      const written = await tx.renewalOrder.updateMany({
        where: { id: order.id, version: order.version },
        data: { ...set, version: { increment: 1 }, updatedAt: clock.now() },
      });
      if (written.count !== 1) throw new DomainError("CONFLICT");
    } else {
      await transitionOrder(tx, {
        orderId: order.id,
        to: "issuing",
        actor,
        clock,
        expectVersion: order.version,
        data: { keyChanged: Boolean(existing) },
        set,
      });
    }
    return null;
  });
}

export interface IssueForOrderInput {
  orderId: string;
  /** PKCS#10 made on the token for the new key */
  csrDer: Buffer;
  /** an `issue` challenge naming the CSR's SHA-256, signed with the old certificate's key */
  challengeText: string;
  signatureB64: string;
  origin: string;
  actor: Actor;
  clock: Clock;
  /** the holder's session certificate: another certificate's order is ORDER_NOT_FOUND */
  certificateId?: string;
  ca: Ca;
}

export interface IssuedBundle {
  pkcs7: string;
  certificate: Certificate;
}

/** Issues (or re-delivers) the renewed certificate of an order and returns it as a certs-only PKCS#7, base64. */
export async function issueForOrder(db: Db, input: IssueForOrderInput): Promise<IssuedBundle> {
  const { clock, actor } = input;
  const order = await loadOrder(db, input.orderId, input.certificateId);
  if (!readyToIssue(order)) throw new DomainError("RENEWAL_NOT_READY_TO_ISSUE", { state: order.state });
  const signer = await verifyProof(db, {
    challengeText: input.challengeText,
    signatureB64: input.signatureB64,
    purpose: "issue",
    origin: input.origin,
    csrSha256: sha256Hex(input.csrDer),
    clock,
  });
  if (signer.id !== order.certificateId) throw new DomainError("POP_SIGNATURE_INVALID");
  const csr = parseCsr(input.csrDer);
  assertRekey(csr, signer.spkiSha256, profileFor(signer.certType).requireRekey);

  const { ca } = input;
  const already = await beginIssuance(db, order.id, csr.der, csr.spkiSha256, clock, ca, actor);
  const certificate = already ?? (await completeIssuance(db, order.id, clock, ca, actor, csr));
  return { pkcs7: bundle(certificate, ca), certificate };
}

/** For the recovery job: finishes an order left in `issuing` with its CSR stored. Null when there is nothing to do. */
export async function resumeIssuance(db: Db, orderId: string, clock: Clock, ca: Ca): Promise<Certificate | null> {
  const order = await db.renewalOrder.findUnique({ where: { id: orderId } });
  if (!order || order.state !== "issuing" || !order.csrDer) return null;
  return completeIssuance(db, orderId, clock, ca, SYSTEM);
}

/** RENEWAL_NOT_ISSUED unless the order has its certificate (issued, or already installed). */
function assertIssued(order: RenewalOrder): asserts order is RenewalOrder & { issuedCertificateId: string } {
  if (!order.issuedCertificateId || (order.state !== "issued" && order.state !== "installed"))
    throw new DomainError("RENEWAL_NOT_ISSUED");
}

export interface InstallProof {
  /** a `login` challenge for the new certificate's serial, signed with the new key */
  challengeText: string;
  signatureB64: string;
  origin: string;
}

/**
 * The browser reports the new certificate written to the key. The server takes it only with proof: the new key
 * signs a login challenge naming the new certificate, which a token can do only once it holds both. The old
 * certificate is superseded (and may be revoked) by confirmInstalled, so a report without the certificate on the
 * key must not get there.
 */
export async function confirmInstalledWithProof(
  db: Db,
  input: { orderId: string; proof: InstallProof } & ConfirmInstalledInput,
): Promise<RenewalOrder> {
  const order = await loadOrder(db, input.orderId, input.certificateId);
  assertIssued(order);
  const signer = await verifyProof(db, { ...input.proof, purpose: "login", clock: input.clock });
  if (signer.id !== order.issuedCertificateId) throw new DomainError("POP_SIGNATURE_INVALID");
  return confirmInstalled(db, input);
}

export interface ConfirmInstalledInput {
  orderId: string;
  actor: Actor;
  clock: Clock;
  certificateId?: string;
  /** set when the old certificate is revoked as well (REVOKE_SUPERSEDED_ON_RENEWAL): the CA that signs its CRL */
  revokeSupersededWith?: Ca;
}

/**
 * The new certificate is on the key (proven by its key's signature: confirmInstalledWithProof, or a sign-in with
 * the new certificate): the order is complete and the old certificate superseded (revoked as well when
 * `revokeSupersededWith` is given). Repeating it is harmless.
 */
export async function confirmInstalled(db: Db, input: ConfirmInstalledInput): Promise<RenewalOrder> {
  const { clock, actor } = input;
  const ca = input.revokeSupersededWith;
  return withTx(db, async (tx) => {
    const order = await loadOrder(tx, input.orderId, input.certificateId);
    if (order.state === "installed") return order;
    if (order.state !== "issued") throw new DomainError("RENEWAL_NOT_ISSUED");
    const installed = await transitionOrder(tx, {
      orderId: order.id,
      to: "installed",
      actor,
      clock,
      expectVersion: order.version,
      set: { installedAt: clock.now() },
    });
    const old = await tx.certificate.findUniqueOrThrow({ where: { id: order.certificateId } });
    if (old.status === "active") {
      await tx.certificate.update({ where: { id: old.id }, data: { status: "superseded" } });
      await appendAudit(
        tx,
        {
          ...actorFields(actor),
          action: "certificate.superseded",
          targetType: "certificate",
          targetId: old.id,
          fromState: "active",
          toState: "superseded",
          data: { serial: old.serial, orderNo: order.orderNo },
        },
        clock,
      );
      if (ca) await revokeCertificate(tx, { serial: old.serial, reason: "superseded", clock, actor, ca });
    }
    return installed;
  });
}
