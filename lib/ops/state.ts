import { createPublicKey, verify } from "node:crypto";
import type { Db } from "../db";
import type { Clock } from "../clock";
import { checkHealth } from "../db/health";
import type { Ca } from "../pki/ca";
import { parseCertificate } from "../pki/x509";

/**
 * What an operator needs to know about a running portal, read from the database (and the CA): the gauges of
 * lib/ops/metrics.ts and the checks of /api/ready both come from here, so they always agree.
 */

/** A periodic job as the scheduler knows it (lib/runtime/jobs.ts): its name and interval. */
export interface JobSpec {
  name: string;
  everyMs: number;
}

/** An order paid but not issued this long is stuck (the recovery job retries issuance well before). */
export const PAID_NOT_ISSUED_ALERT_S = 15 * 60;
/** Mail rows due longer than this are a stuck outbox. */
export const OUTBOX_STUCK_S = 15 * 60;

export async function ordersByState(db: Db): Promise<Record<string, number>> {
  const rows = await db.renewalOrder.groupBy({ by: ["state"], _count: true });
  return Object.fromEntries(rows.map((r) => [r.state, r._count]));
}

/** Seconds since the oldest order in paid/issuing was paid (0 when none). */
export async function oldestPaidNotIssuedS(db: Db, clock: Clock): Promise<number> {
  const o = await db.renewalOrder.findFirst({
    where: { state: { in: ["paid", "issuing"] } },
    orderBy: { paidAt: "asc" },
    select: { paidAt: true, updatedAt: true },
  });
  if (!o) return 0;
  return Math.max(0, (clock.now().getTime() - (o.paidAt ?? o.updatedAt).getTime()) / 1000);
}

export async function outboxState(
  db: Db,
  clock: Clock,
): Promise<{ pending: number; failed: number; oldestDueS: number }> {
  const [pending, failed, oldest] = await Promise.all([
    db.mailOutbox.count({ where: { state: "pending" } }),
    db.mailOutbox.count({ where: { state: "failed" } }),
    db.mailOutbox.findFirst({
      where: { state: "pending" },
      orderBy: { nextAttemptAt: "asc" },
      select: { nextAttemptAt: true },
    }),
  ]);
  const oldestDueS = oldest ? Math.max(0, (clock.now().getTime() - oldest.nextAttemptAt.getTime()) / 1000) : 0;
  return { pending, failed, oldestDueS };
}

/**
 * Per job: seconds it is behind its schedule (time since its last run minus its interval; 0 when on time). A job
 * that never ran counts from the first run its lease table row would show, so a fresh install is not lagging.
 */
export async function jobLag(db: Db, jobs: readonly JobSpec[], clock: Clock): Promise<Record<string, number>> {
  const rows = await db.jobLease.findMany({ where: { name: { in: jobs.map((j) => j.name) } } });
  const now = clock.now().getTime();
  const out: Record<string, number> = {};
  for (const j of jobs) {
    const last = rows.find((r) => r.name === j.name)?.lastRunAt;
    out[j.name] = last ? Math.max(0, (now - last.getTime() - j.everyMs) / 1000) : 0;
  }
  return out;
}

/** Lag above which a job counts as not running: twice its interval and at least five minutes. */
export const jobLagLimitS = (j: JobSpec): number => Math.max(300, (2 * j.everyMs) / 1000);

/** The newest CRL: its age and whether its nextUpdate is still ahead. */
export async function crlState(db: Db, clock: Clock): Promise<{ ageS: number | null; fresh: boolean }> {
  const newest = await db.crl.findFirst({
    orderBy: { thisUpdate: "desc" },
    select: { thisUpdate: true, nextUpdate: true },
  });
  if (!newest) return { ageS: null, fresh: false };
  const now = clock.now().getTime();
  return { ageS: (now - newest.thisUpdate.getTime()) / 1000, fresh: newest.nextUpdate.getTime() > now };
}

/**
 * Signs a probe with the CA signer; for RSA and NIST-curve keys the signature is also checked against the issuing
 * certificate's key (other algorithms, e.g. SM2, count as usable when signing succeeds).
 */
export async function signerUsable(ca: Ca): Promise<boolean> {
  const probe = Buffer.from(`certrenew-ready-${Date.now()}`);
  const sig = await ca.signer.sign(probe);
  let key;
  try {
    key = createPublicKey({ key: parseCertificate(ca.issuingCert).spki, format: "der", type: "spki" });
  } catch {
    return sig.length > 0;
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const checkable =
    key.asymmetricKeyType === "rsa" || (key.asymmetricKeyType === "ec" && /^(prime256v1|secp384r1)$/.test(curve ?? ""));
  if (!checkable) return sig.length > 0;
  const hash = ca.signer.algorithm === "P-384" ? "sha384" : "sha256";
  return verify(hash, probe, { key, dsaEncoding: "der" }, sig);
}

export interface Readiness {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail?: unknown }>;
}

/** /api/ready: every check, each with its facts; ok only when all pass. */
export async function readiness(
  db: Db,
  deps: { ca: () => Promise<Ca>; jobs: readonly JobSpec[]; jobsEnabled: boolean; clock: Clock },
): Promise<Readiness> {
  const checks: Readiness["checks"] = {};
  const health = await checkHealth(db);
  checks.database = { ok: health.database === "ok", detail: health.reason };
  checks.migrations = { ok: health.ok, detail: health.migrations };
  if (health.database !== "ok") return { ok: false, checks };
  try {
    checks.signer = { ok: await signerUsable(await deps.ca()) };
  } catch (e) {
    checks.signer = { ok: false, detail: e instanceof Error ? e.message.split("\n")[0].slice(0, 200) : "unknown" };
  }
  const crl = await crlState(db, deps.clock);
  checks.crl = { ok: crl.fresh, detail: { ageSeconds: crl.ageS } };
  if (deps.jobsEnabled) {
    const lag = await jobLag(db, deps.jobs, deps.clock);
    const late = deps.jobs.filter((j) => lag[j.name] > jobLagLimitS(j)).map((j) => j.name);
    checks.jobs = { ok: late.length === 0, detail: { lagSeconds: lag, late } };
  }
  const outbox = await outboxState(db, deps.clock);
  checks.outbox = { ok: outbox.oldestDueS < OUTBOX_STUCK_S, detail: outbox };
  const paidAge = await oldestPaidNotIssuedS(db, deps.clock);
  checks.issuance = { ok: paidAge < PAID_NOT_ISSUED_ALERT_S, detail: { oldestPaidNotIssuedSeconds: paidAge } };
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}
