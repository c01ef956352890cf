import type { Sql } from "../db/lean";
import { uniqueRow } from "../db/lean";
import type { Clock } from "../clock";
import { DAY } from "../clock";
import type { Certificate, OrderState, RenewalOrder } from "../generated/prisma/client";
import { DomainError } from "../errors";
import { addOneYear } from "../pki/issue";
import { beijingDateTime } from "./dates";
import { windowDaysFor } from "../settings";

export interface Eligible {
  ok: true;
  opensAt: Date;
  closesAt: Date;
  /** the certificate's open order: resume it, never start a second one */
  openOrder?: RenewalOrder;
}

/**
 * Once money is committed (or a new certificate exists) the order is finished whatever the calendar says:
 * a paid order always ends in a certificate or a refund, even if the old certificate expires meanwhile.
 */
const COMMITTED: ReadonlySet<OrderState> = new Set(["paid", "issuing", "issued", "refund_pending"]);

/**
 * Whether the certificate may be renewed online now: renewable iff notAfter − window ≤ now < notAfter, the
 * certificate is active and known. Throws a DomainError saying why not (with the opening date when too early).
 */
export async function checkEligibility(
  db: Sql,
  certificate: Certificate | null,
  clock: Clock,
  /** `openOrder`: the certificate's open order as the caller read it in this transaction (null: none), else read here */
  opts: { windowDays?: number; openOrder?: RenewalOrder | null } = {},
): Promise<Eligible> {
  if (!certificate) throw new DomainError("CERT_UNKNOWN");
  if (certificate.status === "revoked") throw new DomainError("CERT_REVOKED");
  const windowDays = opts.windowDays ?? (await windowDaysFor(db, certificate));
  const closesAt = certificate.notAfter;
  const opensAt = new Date(closesAt.getTime() - windowDays * DAY);
  const openOrder =
    (opts.openOrder !== undefined
      ? opts.openOrder
      : await uniqueRow(db, "RenewalOrder", "openCertificateId", certificate.id)) ?? undefined;
  if (openOrder && COMMITTED.has(openOrder.state)) return { ok: true, opensAt, closesAt, openOrder };

  if (certificate.status === "superseded") throw new DomainError("CERT_SUPERSEDED");
  const now = clock.now().getTime();
  if (now < opensAt.getTime()) {
    throw new DomainError("RENEWAL_TOO_EARLY", {
      opensAt: opensAt.toISOString(),
      opensAtLocal: beijingDateTime(opensAt),
      windowDays,
    });
  }
  if (now >= closesAt.getTime()) {
    throw new DomainError("RENEWAL_EXPIRED", {
      notAfter: closesAt.toISOString(),
      notAfterLocal: beijingDateTime(closesAt),
    });
  }
  return openOrder ? { ok: true, opensAt, closesAt, openOrder } : { ok: true, opensAt, closesAt };
}

export interface RenewalPreview {
  /** old expiry + one calendar year: the same rule the issuer applies (lib/pki/issue.ts) */
  newNotAfter: Date;
  /** whole days from now to the new expiry, rounded up: what the form shows as 有效期 */
  validityDays: number;
  priceFen: number;
  years: number;
}

/** What the holder is shown before committing: new expiry, validity in days and the price. */
export function renewalPreview(
  certificate: Pick<Certificate, "notAfter">,
  price: { priceFen: number; years: number },
  clock: Clock,
): RenewalPreview {
  const newNotAfter = addOneYear(certificate.notAfter);
  const validityDays = Math.ceil((newNotAfter.getTime() - clock.now().getTime()) / DAY);
  return { newNotAfter, validityDays, priceFen: price.priceFen, years: price.years };
}
