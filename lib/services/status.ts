import type { Tx } from "../db";
import { MINUTE, type Clock } from "../clock";
import type { Certificate, OrderState } from "../generated/prisma/client";
import { DomainError, isDomainError } from "../errors";
import { hitRateLimit } from "../ratelimit";
import { checkEligibility } from "../renewal/eligibility";
import { REVOCATION_REASONS, type RevocationReason } from "../pki/revoke";
import { registeredCertificate } from "./certificate";
import type { UpstreamCertStatus } from "../pki/issuers/ocsp-client";

/**
 * 证书状态查询: what a certificate's state is and whether it can be renewed online. A query by typed serial
 * gets no personal data (no subject, no holder name); a query with the certificate read from the key gets the
 * subject too, since the holder already has it in hand.
 */

const STATUS_LIMIT = { max: 30, windowMs: MINUTE };

type CertificateState = "valid" | "renewable" | "expired" | "revoked" | "superseded";

export interface CertificateStatus {
  serial: string;
  state: CertificateState;
  notBefore: string;
  notAfter: string;
  issuerDn: string;
  revokedAt?: string;
  revocationReason?: RevocationReason;
  /** online renewal: open now, opens later (`opensAt`), or not possible (`blockedBy`: the rule's error code) */
  renewal: { renewable: boolean; opensAt?: string; closesAt: string; blockedBy?: string };
  successor?: { serial: string; notAfter: string };
  openOrder?: { state: OrderState; resumeUrl: string };
  /** only when the query carried the certificate itself */
  subject?: { subjectDn: string; holderName: string };
  /** RA mode: what the issuing CA's OCSP responder said (absent when it could not be asked) */
  upstream?: { status: UpstreamCertStatus["status"]; checkedAt: string };
}

export type StatusQuery = { serial: string } | { certificateDer: Buffer };

const SERIAL = /^[0-9a-f]{1,64}$/;

/** "01:A2 b3" → "01a2b3"; throws STATUS_SERIAL_INVALID for anything that is not hex. */
export function normaliseSerialInput(input: string): string {
  const s = input.trim().toLowerCase().replace(/[\s:]/g, "").replace(/^0x/, "");
  if (!SERIAL.test(s)) throw new DomainError("STATUS_SERIAL_INVALID");
  return s;
}

async function findCertificate(
  db: Tx,
  query: StatusQuery,
): Promise<{ certificate: Certificate; withSubject: boolean }> {
  if ("certificateDer" in query) {
    return {
      certificate: await registeredCertificate(db, query.certificateDer, "STATUS_CERT_MISMATCH"),
      withSubject: true,
    };
  }
  const serial = normaliseSerialInput(query.serial);
  // the registry keeps the DER integer's bytes (a leading 00 included); holders often type it without
  const stripped = serial.replace(/^0+(?=.)/, "");
  const candidates = [...new Set([serial, stripped, stripped.length % 2 ? `0${stripped}` : `00${stripped}`])];
  const certificate = await db.certificate.findFirst({ where: { serial: { in: candidates } } });
  if (!certificate) throw new DomainError("STATUS_NOT_FOUND");
  return { certificate, withSubject: false };
}

function reasonName(code: number | null): RevocationReason | undefined {
  return (Object.entries(REVOCATION_REASONS) as [RevocationReason, number][]).find(([, c]) => c === code)?.[0];
}

async function renewalOf(
  db: Tx,
  certificate: Certificate,
  clock: Clock,
): Promise<CertificateStatus["renewal"] & { orderState?: OrderState }> {
  const closesAt = certificate.notAfter.toISOString();
  try {
    const e = await checkEligibility(db, certificate, clock);
    return { renewable: true, opensAt: e.opensAt.toISOString(), closesAt, orderState: e.openOrder?.state };
  } catch (e) {
    if (!isDomainError(e)) throw e;
    const opensAt = e.code === "RENEWAL_TOO_EARLY" ? String(e.details.opensAt) : undefined;
    return { renewable: false, opensAt, closesAt, blockedBy: e.code };
  }
}

export async function certificateStatus(
  db: Tx,
  query: StatusQuery,
  ctx: {
    clock: Clock;
    rateKey: string;
    /** RA mode: asks the upstream CA's OCSP responder (cached briefly); a revocation it reports wins */
    upstreamOcsp?: (c: Certificate) => Promise<UpstreamCertStatus | null>;
  },
): Promise<CertificateStatus> {
  await hitRateLimit(db, `status:${ctx.rateKey}`, STATUS_LIMIT, ctx.clock);
  const { certificate: found, withSubject } = await findCertificate(db, query);
  const upstream = ctx.upstreamOcsp ? await ctx.upstreamOcsp(found) : null;
  const c: Certificate =
    upstream?.status === "revoked" && found.status !== "revoked"
      ? { ...found, status: "revoked", revokedAt: upstream.revokedAt, revocationReason: upstream.reason ?? 0 }
      : found;
  const { orderState: committedOrderState, ...renewal } = await renewalOf(db, c, ctx.clock);
  const successor = await db.certificate.findUnique({
    where: { previousId: c.id },
    select: { serial: true, notAfter: true },
  });
  const order = committedOrderState
    ? { state: committedOrderState }
    : await db.renewalOrder.findUnique({ where: { openCertificateId: c.id }, select: { state: true } });

  const now = ctx.clock.now().getTime();
  const state: CertificateState =
    c.status === "revoked"
      ? "revoked"
      : c.status === "superseded" || successor
        ? "superseded"
        : now >= c.notAfter.getTime()
          ? "expired"
          : renewal.renewable
            ? "renewable"
            : "valid";

  return {
    serial: c.serial,
    state,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    issuerDn: c.issuerDn,
    ...(c.revokedAt ? { revokedAt: c.revokedAt.toISOString(), revocationReason: reasonName(c.revocationReason) } : {}),
    renewal,
    ...(successor ? { successor: { serial: successor.serial, notAfter: successor.notAfter.toISOString() } } : {}),
    ...(order ? { openOrder: { state: order.state, resumeUrl: "/renew" } } : {}),
    ...(withSubject ? { subject: { subjectDn: c.subjectDn, holderName: c.holderName } } : {}),
    ...(upstream ? { upstream: { status: upstream.status, checkedAt: upstream.thisUpdate.toISOString() } } : {}),
  };
}
