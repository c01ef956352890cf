import type { CertType } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/errors";

export type KeyUsageBit =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign";
export type ExtKeyUsage = "clientAuth" | "emailProtection" | "codeSigning";
/** Key algorithm families of a holder key (Certificate.keyAlgorithm "RSA-2048" → rsa, "EC-P256" → ec, "SM2" → sm2). */
export type KeyAlgorithmFamily = "rsa" | "ec" | "sm2";

/** What a holder certificate of one type contains. Profiles are data: issue.ts encodes whatever is listed here. */
export interface CertProfile {
  certType: CertType;
  /** key usage by subject key type: key encipherment only makes sense for RSA */
  keyUsage: { rsa: KeyUsageBit[]; ec: KeyUsageBit[] };
  extKeyUsage: ExtKeyUsage[];
  /** a renewal must come with a new key pair (CSR_KEY_REUSED otherwise) */
  requireRekey: boolean;
  /**
   * the key algorithms a renewed certificate of this type may carry; `sm2` also makes the type one that the admin
   * setting `renewal.migrateRsaToSm2` moves from RSA to SM2 at renewal
   */
  algorithms: KeyAlgorithmFamily[];
}

/** Both certificate types are issued with the same contents; a type that comes to differ gets its own lines. */
const SIGNING_PROFILE: Omit<CertProfile, "certType"> = {
  keyUsage: {
    rsa: ["digitalSignature", "nonRepudiation", "keyEncipherment"],
    ec: ["digitalSignature", "nonRepudiation"],
  },
  extKeyUsage: ["clientAuth", "emailProtection"],
  requireRekey: true,
  algorithms: ["rsa", "ec", "sm2"],
};

export const PROFILES: Record<CertType, CertProfile> = {
  personal: { certType: "personal", ...SIGNING_PROFILE },
  organisation: { certType: "organisation", ...SIGNING_PROFILE },
};

export function profileFor(certType: CertType): CertProfile {
  return PROFILES[certType];
}

export function keyAlgorithmFamily(keyAlgorithm: string): KeyAlgorithmFamily | undefined {
  if (keyAlgorithm === "SM2") return "sm2";
  if (keyAlgorithm.startsWith("RSA-")) return "rsa";
  if (keyAlgorithm.startsWith("EC-")) return "ec";
  return undefined;
}

/**
 * The key algorithm a renewal must bring, when it is not the old key's own family: "SM2" for an RSA holder whose
 * profile allows SM2 while the admin migrates RSA holders to SM2 (`renewal.migrateRsaToSm2`). The subject and the
 * validity rules do not change; only the new key pair does.
 */
export function requiredRenewalAlgorithm(
  profile: CertProfile,
  oldKeyAlgorithm: string,
  migrateRsaToSm2: boolean,
): "SM2" | undefined {
  return migrateRsaToSm2 && keyAlgorithmFamily(oldKeyAlgorithm) === "rsa" && profile.algorithms.includes("sm2")
    ? "SM2"
    : undefined;
}

/** CSR_UNSUPPORTED_ALGORITHM unless the new key's algorithm is one the profile allows and the one required. */
export function assertRenewalAlgorithm(profile: CertProfile, csrKeyAlgorithm: string, required?: "SM2"): void {
  const family = keyAlgorithmFamily(csrKeyAlgorithm);
  if (!family || !profile.algorithms.includes(family) || (required && csrKeyAlgorithm !== required))
    throw new DomainError("CSR_UNSUPPORTED_ALGORITHM", { algorithm: csrKeyAlgorithm, required: required ?? null });
}
