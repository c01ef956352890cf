import { createHash } from "node:crypto";
import type { Db } from "../db";
import { MINUTE, type Clock } from "../clock";
import type { Certificate, RenewalOrder } from "../generated/prisma/client";
import { withTx, type Actor } from "../audit";
import { DomainError } from "../errors";
import { log } from "../log";
import { certificateInfo } from "../pki/cert-info";
import { parseCsr } from "../pki/csr";
import { raw } from "../pki/der";
import { addOneYear, auditCertificateIssued, holderFieldsOf } from "../pki/issue";
import { asUpstreamError, UpstreamError, type RenewalOutcome, type UpstreamIssuer } from "../pki/issuers/types";
import { profileFor } from "../pki/profiles";
import { auditUpstreamExchange } from "../pki/revocation-intents";
import { parseCertificate, sha256Hex } from "../pki/x509";
import { transitionOrder } from "../orders/machine";
import { getUpstreamIssuer } from "../pki/issuers";
import type { PaymentDeps } from "../payments/alipay/client";
import { startRefund } from "../payments/alipay/refund";

/**
 * 下证 in RA mode (ISSUER=cmp | cfssl): the same two committed steps as the built-in CA (issue-order.ts), but step 2
 * calls the upstream CA, which never happens inside a database transaction:
 *   a. claim the order's upstream lease (one exchange per order at a time; it also holds back a "pending" retry);
 *   b. call the upstream with the order's transactionId (derived from the order and the new key: every retry of
 *      this order for this key is the same upstream transaction);
 *   c. record the certificate and enter `issued` (Certificate.previousId is unique: nothing is recorded twice).
 * Down, slow, garbage or an error that may change: the order stays `issuing` with its CSR, the holder is told
 * UPSTREAM_RETRY_LATER, and the upstream job (upstreamIssuanceJob) or the holder's retry completes it later.
 * A final refusal is the only way out without a certificate: the payment is refunded (or a free order goes back
 * to `submitted`) and the order is flagged for the helpdesk.
 */

const RESOLVED_BY_ISSUING = new Set(["paid_not_issued", "issuing_stalled", "issuance_failed", "upstream_unavailable"]);

/** How long one exchange may hold an order: longer than any upstream timeout (UPSTREAM_TIMEOUT_MS ≤ 120 s). */
const LEASE_MS = 3 * MINUTE;

export function renewalTransactionId(orderId: string, newSpkiSha256: string): Buffer {
  return createHash("sha256").update(`certrenew:renew:${orderId}:${newSpkiSha256}`).digest().subarray(0, 16);
}

export interface UpstreamDeps {
  upstream: UpstreamIssuer;
  /** starts the refund of a paid order the upstream refused for good (payments' startRefund with the process's Alipay) */
  refund?: (db: Db, orderId: string, reason: string, clock: Clock) => Promise<unknown>;
}

/** The process's RA-mode dependencies (null with ISSUER=builtin): the configured upstream, refunds through Alipay. */
export function processUpstreamDeps(pay: PaymentDeps): UpstreamDeps | null {
  const upstream = getUpstreamIssuer();
  if (!upstream) return null;
  return {
    upstream,
    refund: (db, orderId, reason, clock) =>
      startRefund(db, pay, { orderId, reason, actor: { type: "system", id: "renewal.upstream" }, clock }),
  };
}

async function claim(db: Db, orderId: string, clock: Clock): Promise<boolean> {
  const now = clock.now();
  const { count } = await db.renewalOrder.updateMany({
    where: {
      id: orderId,
      state: "issuing",
      csrDer: { not: null },
      OR: [{ upstreamLeaseUntil: null }, { upstreamLeaseUntil: { lte: now } }],
    },
    data: {
      upstreamLeaseUntil: new Date(now.getTime() + LEASE_MS),
      upstreamAttempts: { increment: 1 },
      updatedAt: now,
    },
  });
  return count === 1;
}

async function release(db: Db, orderId: string, until: Date | null, lastError: string | null): Promise<void> {
  await db.renewalOrder.updateMany({
    where: { id: orderId, state: "issuing" },
    data: { upstreamLeaseUntil: until, upstreamLastError: lastError?.slice(0, 300) ?? null },
  });
}

async function issuedCertificate(db: Db, order: RenewalOrder): Promise<Certificate | null> {
  if (order.issuedCertificateId && (order.state === "issued" || order.state === "installed"))
    return db.certificate.findUnique({ where: { id: order.issuedCertificateId } });
  return null;
}

/** Records the upstream's certificate for the order and enters `issued`; repeating it returns the same row. */
async function record(
  db: Db,
  orderId: string,
  outcome: Extract<RenewalOutcome, { status: "issued" }>,
  clock: Clock,
  actor: Actor,
): Promise<Certificate> {
  const info = certificateInfo(outcome.certDer);
  return withTx(db, async (tx) => {
    const order = await tx.renewalOrder.findUniqueOrThrow({ where: { id: orderId } });
    if (order.state === "issued" && order.issuedCertificateId)
      return tx.certificate.findUniqueOrThrow({ where: { id: order.issuedCertificateId } });
    if (order.state !== "issuing") throw new DomainError("RENEWAL_NOT_READY_TO_ISSUE", { state: order.state });
    if (info.spkiSha256 !== order.newSpkiSha256)
      throw new UpstreamError("the upstream certified another key", true, { fault: "garbage" });
    const old = await tx.certificate.findUniqueOrThrow({ where: { id: order.certificateId } });
    const existing = await tx.certificate.findUnique({ where: { previousId: old.id } });
    const created =
      existing ??
      (await tx.certificate.create({
        data: {
          serial: info.serial,
          subjectDn: info.subjectDn,
          issuerDn: info.issuerDn,
          ...holderFieldsOf(old),
          keyAlgorithm: info.keyAlgorithm,
          spkiSha256: info.spkiSha256,
          notBefore: info.notBefore,
          notAfter: info.notAfter,
          status: "active",
          der: new Uint8Array(outcome.certDer),
          chainDer: new Uint8Array(Buffer.concat(outcome.chainDer)),
          tokenSerial: old.tokenSerial,
          previousId: old.id,
          reminderOptOut: old.reminderOptOut,
        },
      }));
    if (!existing)
      await auditCertificateIssued(
        tx,
        created.id,
        {
          serial: created.serial,
          previousSerial: old.serial,
          orderId,
          notAfter: info.notAfter.toISOString(),
          issuer: "upstream",
        },
        clock,
      );
    await transitionOrder(tx, {
      orderId,
      to: "issued",
      actor,
      clock,
      expectVersion: order.version,
      data: { serial: created.serial },
      set: {
        issuedCertificateId: created.id,
        issuedAt: clock.now(),
        upstreamLeaseUntil: null,
        upstreamLastError: null,
        // the flag said "not issued yet" (recovery or the upstream job): issuing resolves it
        ...(order.flagged && RESOLVED_BY_ISSUING.has(order.flagReason ?? "")
          ? { flagged: false, flagReason: null }
          : {}),
      },
    });
    return created;
  });
}

/** A final refusal: the order leaves `issuing` without a certificate (refund, or back to submitted) and is flagged. */
async function refused(
  db: Db,
  order: RenewalOrder,
  err: UpstreamError,
  deps: UpstreamDeps,
  clock: Clock,
  actor: Actor,
) {
  await withTx(db, async (tx) => {
    await tx.renewalOrder.updateMany({
      where: { id: order.id },
      data: {
        flagged: true,
        flagReason: "upstream_refused",
        upstreamLeaseUntil: null,
        upstreamLastError: err.message.slice(0, 300),
        updatedAt: clock.now(),
      },
    });
    if (order.priceFen === 0) {
      const fresh = await tx.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
      await transitionOrder(tx, {
        orderId: order.id,
        to: "submitted",
        actor,
        clock,
        expectVersion: fresh.version,
        data: { upstreamRefused: err.message.slice(0, 200) },
        set: { csrDer: null, newSpkiSha256: null },
      });
    }
  });
  if (order.priceFen > 0) {
    if (deps.refund) await deps.refund(db, order.id, `CA refused the renewal: ${err.message}`.slice(0, 200), clock);
    else log.error({ orderId: order.id }, "upstream refused a paid order and no refund is wired: helpdesk must refund");
  }
}

/**
 * Step 2 in RA mode. Returns the certificate (or the one already recorded); throws UPSTREAM_RETRY_LATER while the
 * upstream is down, slow, pending or answering garbage, UPSTREAM_REFUSED when it refused for good.
 */
export async function completeUpstreamIssuance(
  db: Db,
  orderId: string,
  deps: UpstreamDeps,
  clock: Clock,
  actor: Actor,
): Promise<Certificate> {
  if (!(await claim(db, orderId, clock))) {
    const order = await db.renewalOrder.findUnique({ where: { id: orderId } });
    if (!order) throw new DomainError("ORDER_NOT_FOUND");
    const done = await issuedCertificate(db, order);
    if (done) return done;
    if (order.state !== "issuing" || !order.csrDer)
      throw new DomainError("RENEWAL_NOT_READY_TO_ISSUE", { state: order.state });
    // another request or the job is talking to the upstream for this order right now, or it asked us to wait
    throw new DomainError("UPSTREAM_RETRY_LATER", { retryAfter: 30 });
  }
  const order = await db.renewalOrder.findUniqueOrThrow({ where: { id: orderId } });
  const old = await db.certificate.findUniqueOrThrow({ where: { id: order.certificateId } });
  const csr = parseCsr(Buffer.from(order.csrDer!));
  const transactionId = renewalTransactionId(order.id, csr.spkiSha256);
  const now = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
  const { upstream } = deps;
  const requestSha256 = sha256Hex(Buffer.concat([transactionId, Buffer.from(old.der), csr.der]));
  const started = Date.now();
  const exchange = (status: "issued" | "pending" | "retry" | "refused", detail: Record<string, string | number>) =>
    auditUpstreamExchange(
      db,
      {
        issuer: upstream.kind,
        operation: "renew",
        targetType: "order",
        targetId: order.id,
        transactionId,
        requestSha256,
        status,
        ms: Date.now() - started,
        detail,
      },
      clock,
    );

  let outcome: RenewalOutcome;
  try {
    outcome = await upstream.renew({
      transactionId,
      oldCertDer: Buffer.from(old.der),
      csrDer: csr.der,
      spki: csr.spki,
      subjectDer: raw(parseCertificate(Buffer.from(old.der)).subjectName),
      notBefore: now,
      notAfter: addOneYear(old.notAfter),
      profile: profileFor(old.certType),
    });
  } catch (err) {
    const e = asUpstreamError(err);
    await exchange(e.retryable ? "retry" : "refused", { message: e.message.slice(0, 200), ...e.detail });
    if (!e.retryable) {
      await refused(db, order, e, deps, clock, actor);
      throw new DomainError("UPSTREAM_REFUSED");
    }
    await release(db, order.id, null, e.message);
    throw new DomainError("UPSTREAM_RETRY_LATER", { retryAfter: 30 });
  }
  if (outcome.status === "pending") {
    await exchange("pending", { retryAfterSeconds: outcome.retryAfterSeconds });
    const until = new Date(clock.now().getTime() + Math.max(1, outcome.retryAfterSeconds) * 1000);
    await release(db, order.id, until, "pending upstream");
    throw new DomainError("UPSTREAM_RETRY_LATER", { retryAfter: outcome.retryAfterSeconds });
  }
  await exchange("issued", { serial: certificateInfo(outcome.certDer).serial });
  try {
    return await record(db, order.id, outcome, clock, actor);
  } catch (err) {
    if (err instanceof UpstreamError) {
      await release(db, order.id, null, err.message);
      throw new DomainError("UPSTREAM_RETRY_LATER", { retryAfter: 30 });
    }
    throw err;
  }
}

/** Back-off of the upstream job: 1, 2, 4 … minutes after the last attempt, at most 30. */
export function upstreamRetryDelayMs(attempts: number): number {
  return Math.min(30, 2 ** Math.max(0, attempts - 1)) * MINUTE;
}

/**
 * The upstream job's pass: every `issuing` order with its CSR whose lease is free and whose back-off has run out
 * is tried again (flagged orders too: the flag tells the helpdesk, the job keeps trying). Orders still failing
 * after `flagAfterMinutes` are flagged once.
 */
export async function retryUpstreamIssuance(
  db: Db,
  deps: UpstreamDeps,
  clock: Clock,
  opts: { flagAfterMinutes?: number; batch?: number } = {},
): Promise<{ issued: number; waiting: number; refused: number }> {
  const now = clock.now();
  const candidates = await db.renewalOrder.findMany({
    where: {
      state: "issuing",
      csrDer: { not: null },
      OR: [{ upstreamLeaseUntil: null }, { upstreamLeaseUntil: { lte: now } }],
      updatedAt: { lt: new Date(now.getTime() - MINUTE) },
    },
    orderBy: { updatedAt: "asc" },
    take: opts.batch ?? 50,
  });
  const system: Actor = { type: "system", id: "renewal.upstream" };
  let issued = 0;
  let waiting = 0;
  let refusedCount = 0;
  for (const order of candidates) {
    if (order.updatedAt.getTime() + upstreamRetryDelayMs(order.upstreamAttempts) > now.getTime()) continue;
    try {
      await completeUpstreamIssuance(db, order.id, deps, clock, system);
      issued++;
    } catch (err) {
      if (err instanceof DomainError && err.code === "UPSTREAM_REFUSED") refusedCount++;
      else {
        waiting++;
        if (!(err instanceof DomainError)) log.error({ err, orderId: order.id }, "upstream issuance failed");
        const age = now.getTime() - order.createdAt.getTime();
        if (age > (opts.flagAfterMinutes ?? 30) * MINUTE)
          await db.renewalOrder.updateMany({
            where: { id: order.id, flagged: false },
            data: { flagged: true, flagReason: "upstream_unavailable", updatedAt: order.updatedAt },
          });
      }
    }
  }
  return { issued, waiting, refused: refusedCount };
}
