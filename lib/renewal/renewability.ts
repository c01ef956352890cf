import type { Db } from "../db";
import type { Clock } from "../clock";
import { DomainError } from "../errors";
import { checkEligibility } from "./eligibility";

export type Renewability = "open" | "resume" | "too_early" | "expired" | "revoked" | "superseded" | "unknown";

export interface KeyRenewability {
  serial: string;
  status: Renewability;
  /** when too early: the first moment online renewal is possible */
  opensAt?: string;
}

const REASON: Record<string, Renewability> = {
  RENEWAL_TOO_EARLY: "too_early",
  RENEWAL_EXPIRED: "expired",
  CERT_REVOKED: "revoked",
  CERT_SUPERSEDED: "superseded",
  CERT_UNKNOWN: "unknown",
};

function normaliseSerial(serial: string): string {
  return serial.trim().toLowerCase().replace(/:/g, "");
}

/**
 * For the key list before sign-in: which of the certificates on the inserted keys can be renewed now, and why
 * not. The same rule as the sign-in (checkEligibility), so the list never promises what 提交 then refuses.
 * Only public facts of the certificate (its status and dates) are answered.
 */
export async function renewabilityOf(db: Db, serials: string[], clock: Clock): Promise<KeyRenewability[]> {
  const out: KeyRenewability[] = [];
  for (const raw of serials) {
    const serial = normaliseSerial(raw);
    const certificate = await db.certificate.findUnique({ where: { serial } });
    try {
      const ok = await checkEligibility(db, certificate, clock);
      out.push({ serial: raw, status: ok.openOrder ? "resume" : "open" });
    } catch (e) {
      if (!(e instanceof DomainError) || !REASON[e.code]) throw e;
      const opensAt = e.code === "RENEWAL_TOO_EARLY" ? (e.details.opensAt as string) : undefined;
      out.push({ serial: raw, status: REASON[e.code], ...(opensAt ? { opensAt } : {}) });
    }
  }
  return out;
}
