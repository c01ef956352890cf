import type { Db, Tx } from "../db";
import type { Clock } from "../clock";
import type { Certificate, RenewalOrder } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withSqlTxOrPrisma } from "../audit";
import { DomainError } from "../errors";
import type { Ca } from "../pki/ca";
import { assertRekey, parseCsr, type ParsedCsr } from "../pki/csr";
import { issueRenewal } from "../pki/issue";
import { pkcs7CertsOnlyBase64 } from "../pki/pkcs7";
import { assertRenewalAlgorithm, profileFor, requiredRenewalAlgorithm } from "../pki/profiles";
import { migrateRsaToSm2 } from "../settings";
import { revokeCertificate } from "../pki/revoke";
import { sha256Hex } from "../pki/x509";
import { transitionOrder } from "../orders/machine";
import { verifyProof } from "./pop";
import { read } from "../pki/der";
import { requestUpstreamRevocation } from "../pki/revocation-intents";
import { completeUpstreamIssuance, type UpstreamDeps } from "./upstream-issue";
import { getKmc, type Kmc } from "../kmc/keys";
import {
  deliverEncryptionPair,
  issueEncryptionPair,
  needsEncryptionPair,
  type DeliveredEncryptionPair,
} from "../kmc/dual";
import { prismaTx, rowOrThrow, selectRows, uniqueRow, updateById, updateRows, type Sql } from "../db/lean";

/**
 * 下证 on the server. Issuance is two steps, committed one after the other so nothing is lost if a process dies in
 * between (RA mode and dual certificates; the built-in CA runs both in one transaction, see issueForOrder):
 *   1. the order enters `issuing` with the verified CSR stored;
 *   2. the certificate is issued and the order enters `issued`.
 * A retry with the same key gets the same certificate back; a retry with a new key (the pending key on the
 * token was lost) issues again and revokes the orphaned certificate, whose key no longer exists anywhere.
 *
 * Dual certificates (SM2 keys, lib/kmc): step 2 issues the encryption certificate for a new KMC key pair in the same
 * transaction as the signing one, so both exist or neither; an orphan's encryption certificate is revoked with it;
 * every delivery envelopes the escrowed key afresh to the signing key of the CSR.
 */

const SYSTEM: Actor = { type: "system", id: "renewal.issue" };

/**
 * The order's row, held until the transaction ends: concurrent 下证 requests of one order take their turns, so the
 * second sees what the first stored (and never inserts a second certificate: PostgreSQL's unique violation).
 */
async function lockOrder(tx: Sql, orderId: string): Promise<RenewalOrder> {
  const [order] = await selectRows(tx, "RenewalOrder", `WHERE "id" = $1 FOR UPDATE`, [orderId]);
  if (!order) throw new DomainError("ORDER_NOT_FOUND");
  return order;
}

async function loadOrder(db: Sql, orderId: string, certificateId?: string): Promise<RenewalOrder> {
  const order = await uniqueRow(db, "RenewalOrder", "id", orderId);
  if (!order || (certificateId !== undefined && order.certificateId !== certificateId))
    throw new DomainError("ORDER_NOT_FOUND");
  return order;
}

/** Whether an order may start or repeat 下证: paid, free and submitted, or already in issuance. */
export function readyToIssue(order: Pick<RenewalOrder, "state" | "priceFen">): boolean {
  if (order.state === "submitted") return order.priceFen === 0;
  return order.state === "paid" || order.state === "issuing" || order.state === "issued";
}

/** Who certifies: the portal's own CA (ISSUER=builtin) or the operator's CA upstream (RA mode). */
export type Issuance = { ca: Ca; upstream?: undefined } | { upstream: UpstreamDeps; ca?: undefined };

/** DER elements laid end to end (Certificate.chainDer) → one buffer each. */
function splitDer(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < b.length;) {
    const n = read(b, at);
    out.push(b.subarray(n.start, n.end));
    at = n.end;
  }
  return out;
}

/** certs-only PKCS#7: the signing certificate, the encryption certificate of a dual pair, the CA chain */
function bundle(cert: Certificate, issuance: Issuance, encryption?: Certificate): string {
  const chain = cert.chainDer ? splitDer(Buffer.from(cert.chainDer)) : (issuance.ca?.chain ?? []);
  return pkcs7CertsOnlyBase64([Buffer.from(cert.der), ...(encryption ? [Buffer.from(encryption.der)] : []), ...chain]);
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
  issuance: Issuance,
  actor: Actor,
): Promise<void> {
  const revoke = async (c: Certificate) => {
    if (c.status === "revoked") return;
    if (issuance.ca)
      await revokeCertificate(tx, { serial: c.serial, reason: "superseded", clock, actor, ca: issuance.ca });
    else await requestUpstreamRevocation(tx, { certificate: c, reason: 4, actor, clock });
  };
  await revoke(orphan);
  // the encryption certificate of a dual pair goes with its signing certificate
  const pair = await uniqueRow(tx, "Certificate", "signingCertificateId", orphan.id);
  if (pair) await revoke(pair);
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
      data: {
        orderNo: order.orderNo,
        orphanSerial: orphan.serial,
        ...(pair ? { orphanEncryptionSerial: pair.serial } : {}),
      },
    },
    clock,
  );
}

/**
 * `fn` in a transaction that holds the order's row (lockOrder, which reads it) from its first statement: plain SQL,
 * or a Prisma transaction when `prisma` says it will need one (a dual pair) or `fn` finds so (an orphan to revoke).
 */
function underOrderLock<T>(
  db: Db,
  orderId: string,
  fn: (tx: Sql, order: RenewalOrder) => Promise<T>,
  prisma = false,
): Promise<T> {
  return withSqlTxOrPrisma(db, { prisma }, async (tx) => fn(tx, await lockOrder(tx, orderId)));
}

/**
 * Step 2, in a transaction under the order's lock (`order`: its row as locked, or as step 1 left it in the same
 * transaction): issue from the stored CSR and enter `issued`. Safe to repeat.
 * `verified` is the CSR this request's step 1 stored, as issueForOrder parsed and verified it: the answer carries a
 * certificate for exactly that CSR's key, or is CONFLICT when a concurrent request of the same order replaced the CSR
 * (or was issued for another key) meanwhile. Without `verified` (the recovery job resuming an issuance) the stored
 * CSR is issued. `previous`: the renewal of the order's certificate as step 1 found it in this transaction (read
 * again when not given).
 */
async function completeIssuance(
  tx: Sql,
  order: RenewalOrder,
  clock: Clock,
  ca: Ca,
  actor: Actor,
  kmc: Kmc | null | undefined,
  verified?: ParsedCsr,
  previous?: Certificate | null,
): Promise<Certificate> {
  if (order.state === "issued" && order.issuedCertificateId) {
    const issued = await rowOrThrow(uniqueRow(tx, "Certificate", "id", order.issuedCertificateId));
    if (verified && issued.spkiSha256 !== verified.spkiSha256) throw new DomainError("CONFLICT");
    return issued;
  }
  if (order.state !== "issuing" || !order.csrDer)
    throw new DomainError("RENEWAL_NOT_READY_TO_ISSUE", { state: order.state });
  const stored = Buffer.from(order.csrDer);
  if (verified && !verified.der.equals(stored)) throw new DomainError("CONFLICT");
  const old = await rowOrThrow(uniqueRow(tx, "Certificate", "id", order.certificateId));
  const csr = verified ?? parseCsr(stored);
  // a dual pair's encryption half is written through Prisma: asked before anything is issued
  const dual = needsEncryptionPair(csr.spki) ? prismaTx(tx) : null;
  const created = await issueRenewal(tx, { oldCertificate: old, csr, orderId: order.id, clock, ca, previous });
  const encryption = dual
    ? await issueEncryptionPair(dual, { signing: created, kmc, ca, clock, orderId: order.id })
    : null;
  await transitionOrder(tx, {
    orderId: order.id,
    to: "issued",
    actor,
    clock,
    current: order,
    data: { serial: created.serial, ...(encryption ? { encryptionSerial: encryption.serial } : {}) },
    set: { issuedCertificateId: created.id, issuedAt: clock.now() },
    issued: created,
  });
  return created;
}

/**
 * What step 1 left: the certificate already issued for this key; or the order, now in `issuing` with this CSR, and
 * the renewal of its certificate that step 2 hands back (one issued before for this same key; null: none).
 */
type Begun = { issued: Certificate } | { order: RenewalOrder; previous: Certificate | null };

/**
 * Step 1, in a transaction under the order's lock (`order`: its row as locked): store the CSR and enter `issuing`,
 * dropping an orphan issued for another key.
 */
async function beginIssuance(
  tx: Sql,
  order: RenewalOrder,
  csrDer: Buffer,
  spkiSha256: string,
  clock: Clock,
  issuance: Issuance,
  actor: Actor,
): Promise<Begun> {
  if (!readyToIssue(order)) throw new DomainError("RENEWAL_NOT_READY_TO_ISSUE", { state: order.state });
  const existing = await uniqueRow(tx, "Certificate", "previousId", order.certificateId);
  if (existing && existing.spkiSha256 === spkiSha256) {
    // same key as before: hand back the same certificate (finishing step 2 if a process died after issuing)
    if (order.state === "issued") return { issued: existing };
    if (order.state === "issuing") return { order, previous: existing };
  }
  // RA mode: the CSR of an order whose upstream exchange is in flight (or told to wait) must not change under it
  if (order.state === "issuing" && order.upstreamLeaseUntil && order.upstreamLeaseUntil > clock.now())
    throw new DomainError("UPSTREAM_RETRY_LATER", {
      retryAfter: Math.ceil((order.upstreamLeaseUntil.getTime() - clock.now().getTime()) / 1000),
    });
  if (existing) await dropOrphan(prismaTx(tx), existing, order, clock, issuance, actor);
  const set = {
    csrDer: new Uint8Array(csrDer),
    newSpkiSha256: spkiSha256,
    issuedCertificateId: null,
    issuedAt: null,
  };
  if (order.state === "issuing") {
    const [written] = await updateRows(
      tx,
      "RenewalOrder",
      { ...set, updatedAt: clock.now() },
      {
        sql: `WHERE "id" = $1 AND "version" = $2`,
        values: [order.id, order.version],
        also: `"version" = "version" + 1`,
      },
    );
    if (!written) throw new DomainError("CONFLICT");
    return { order: written, previous: null };
  }
  const issuing = await transitionOrder(tx, {
    orderId: order.id,
    to: "issuing",
    actor,
    clock,
    current: order,
    data: { keyChanged: Boolean(existing) },
    set,
  });
  return { order: issuing, previous: null };
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
  /** the portal's CA (builtin) or, in RA mode, the upstream; `ca` alone means builtin */
  ca?: Ca;
  upstream?: UpstreamDeps | null;
  /**
   * the key management centre (default: the process KMC): SM2 keys get an encryption certificate too. Built-in CA
   * only: in RA mode the upstream CA certifies the signing key alone (its own KMC, if any, is the operator's).
   */
  kmc?: Kmc | null;
}

export interface IssuedBundle {
  /** certs-only PKCS#7: the signing certificate, the encryption certificate of a dual pair, the CA chain */
  pkcs7: string;
  certificate: Certificate;
  /** dual certificates: the encryption certificate and its key enveloped to the CSR's key */
  encryption: DeliveredEncryptionPair | null;
}

/**
 * The key algorithm the renewal of `certificate` must bring when it is not the old key's family ("SM2" while the
 * admin migrates RSA holders to SM2): the wizard asks the token for it, and issueForOrder refuses anything else.
 */
export async function renewalKeyAlgorithm(
  db: Tx,
  certificate: Pick<Certificate, "certType" | "keyAlgorithm">,
): Promise<"SM2" | undefined> {
  const profile = profileFor(certificate.certType);
  // the admin's switch concerns RSA holders whose profile allows SM2: nobody else needs it read
  if (!requiredRenewalAlgorithm(profile, certificate.keyAlgorithm, true)) return undefined;
  return requiredRenewalAlgorithm(profile, certificate.keyAlgorithm, await migrateRsaToSm2(db));
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
  const profile = profileFor(signer.certType);
  assertRekey(csr, signer.spkiSha256, profile.requireRekey);
  assertRenewalAlgorithm(profile, csr.keyAlgorithm, await renewalKeyAlgorithm(db, signer));

  const issuance = issuanceOf(input);
  if (
    issuance.upstream &&
    order.state === "issuing" &&
    order.upstreamAttempts > 0 &&
    order.newSpkiSha256 !== csr.spkiSha256
  )
    // RA mode, a new key after an exchange whose outcome is unknown: the upstream may hold a certificate for the old
    // key. Finish that transaction first (its certificate is then recorded and dropped as an orphan below, revoked
    // upstream through an intent), so no certificate is left valid upstream without the portal knowing it.
    await completeUpstreamIssuance(db, order.id, issuance.upstream, clock, actor);
  const begin = (tx: Sql, locked: RenewalOrder) =>
    beginIssuance(tx, locked, csr.der, csr.spkiSha256, clock, issuance, actor);
  if (issuance.upstream) {
    const begun = await underOrderLock(db, order.id, begin);
    const certificate =
      "issued" in begun ? begun.issued : await completeUpstreamIssuance(db, order.id, issuance.upstream, clock, actor);
    return { pkcs7: bundle(certificate, issuance), certificate, encryption: null };
  }
  const kmc = input.kmc === undefined ? getKmc() : input.kmc;
  const { ca } = issuance;
  // The built-in CA signs in the process: both steps in one transaction (one commit, one turn of the audit chain),
  // as safe as two, since a process dying in it leaves nothing. A dual pair keeps two: its second step needs the
  // KMC, and without it the order waits in `issuing` with its CSR for the recovery path.
  const complete = (tx: Sql, locked: RenewalOrder, previous?: Certificate | null) =>
    completeIssuance(tx, locked, clock, ca, actor, kmc, csr, previous);
  let certificate: Certificate;
  if (needsEncryptionPair(csr.spki)) {
    const begun = await underOrderLock(db, order.id, begin);
    certificate = "issued" in begun ? begun.issued : await underOrderLock(db, order.id, complete, true);
  } else {
    certificate = await underOrderLock(db, order.id, async (tx, locked) => {
      const begun = await begin(tx, locked);
      return "issued" in begun ? begun.issued : complete(tx, begun.order, begun.previous);
    });
  }
  // only an SM2 key has an encryption pair (the certificate is for this CSR's key, issued now or before)
  const encryption = needsEncryptionPair(csr.spki)
    ? await deliverEncryptionPair(db, { signing: certificate, signingSpki: csr.spki, kmc })
    : null;
  return { pkcs7: bundle(certificate, issuance, encryption?.certificate), certificate, encryption };
}

function issuanceOf(input: { ca?: Ca; upstream?: UpstreamDeps | null }): Issuance {
  if (input.upstream) return { upstream: input.upstream };
  if (!input.ca) throw new Error("issuance needs the portal's CA or an upstream issuer");
  return { ca: input.ca };
}

/** For the recovery job: finishes an order left in `issuing` with its CSR stored. Null when there is nothing to do. */
export async function resumeIssuance(
  db: Db,
  orderId: string,
  clock: Clock,
  by: Ca | { upstream: UpstreamDeps },
  kmc: Kmc | null = getKmc(),
): Promise<Certificate | null> {
  const order = await uniqueRow(db, "RenewalOrder", "id", orderId);
  if (!order || order.state !== "issuing" || !order.csrDer) return null;
  if ("upstream" in by) return completeUpstreamIssuance(db, orderId, by.upstream, clock, SYSTEM);
  return underOrderLock(db, orderId, (tx, locked) => completeIssuance(tx, locked, clock, by, SYSTEM, kmc), true);
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
  /**
   * set when the old certificate is revoked as well (REVOKE_SUPERSEDED_ON_RENEWAL): the CA that signs its CRL, or in
   * RA mode "upstream" (a revocation intent the upstream job sends)
   */
  revokeSupersededWith?: Ca | "upstream";
}

/**
 * The new certificate is on the key (proven by its key's signature: confirmInstalledWithProof, or a sign-in with
 * the new certificate): the order is complete and the old certificate superseded (revoked as well when
 * `revokeSupersededWith` is given). Repeating it is harmless.
 */
export async function confirmInstalled(db: Db, input: ConfirmInstalledInput): Promise<RenewalOrder> {
  const { clock, actor } = input;
  const ca = input.revokeSupersededWith;
  // revoking the superseded certificate goes through Prisma (lib/pki/revoke): a Prisma transaction when asked for
  return withSqlTxOrPrisma(db, { prisma: Boolean(ca) }, async (tx) => {
    const order = await loadOrder(tx, input.orderId, input.certificateId);
    if (order.state === "installed") return order;
    if (order.state !== "issued") throw new DomainError("RENEWAL_NOT_ISSUED");
    const installed = await transitionOrder(tx, {
      orderId: order.id,
      to: "installed",
      actor,
      clock,
      current: order,
      set: { installedAt: clock.now() },
    });
    // the old certificate and, for a dual pair (SM2), its encryption certificate: one statement
    const olds = await selectRows(tx, "Certificate", `WHERE "id" = $1 OR "signingCertificateId" = $1`, [
      order.certificateId,
    ]);
    const old = await rowOrThrow(Promise.resolve(olds.find((c) => c.id === order.certificateId) ?? null));
    if (old.status === "active") {
      await updateById(tx, "Certificate", old.id, { status: "superseded" });
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
      if (ca === "upstream")
        await requestUpstreamRevocation(prismaTx(tx), { certificate: old, reason: 4 /* superseded */, actor, clock });
      else if (ca)
        await revokeCertificate(prismaTx(tx), { serial: old.serial, reason: "superseded", clock, actor, ca });
    }
    const oldPair = olds.find((c) => c.signingCertificateId === old.id);
    if (oldPair?.status === "active") {
      await updateById(tx, "Certificate", oldPair.id, { status: "superseded" });
      if (ca === "upstream")
        await requestUpstreamRevocation(prismaTx(tx), {
          certificate: oldPair,
          reason: 4 /* superseded */,
          actor,
          clock,
        });
      else if (ca)
        await revokeCertificate(prismaTx(tx), { serial: oldPair.serial, reason: "superseded", clock, actor, ca });
    }
    return installed;
  });
}
