import { z } from "zod";
import { DomainError } from "../errors";

/**
 * The documents a holder accepts before 确认提交 (PIPL: informed consent before personal data is processed for
 * the order), each by version. A new text gets a new version here; an order records the versions accepted, so
 * which text a holder agreed to is never in doubt. The texts are in lib/content/legal.ts under these versions.
 */
export const CONSENT_VERSIONS = { agreement: "2026-12-01", privacy: "2026-12-01" } as const;
export type ConsentDocument = keyof typeof CONSENT_VERSIONS;
export const CONSENT_DOCUMENTS = Object.keys(CONSENT_VERSIONS) as ConsentDocument[];

/** What the page sends: the version of each document the holder ticked (absent when not ticked). */
export const ConsentGiven = z.object({
  agreement: z.string().max(32).optional(),
  privacy: z.string().max(32).optional(),
});
export type ConsentGiven = z.infer<typeof ConsentGiven>;

export interface ConsentRecord {
  agreementVersion: string;
  privacyVersion: string;
  consentAt: Date;
}

/**
 * The consent to store with the order, or CONSENT_REQUIRED (a document not ticked, with the field to mark) or
 * CONSENT_OUTDATED (a version other than the current one: the page was opened before the text changed).
 */
export function acceptConsent(given: ConsentGiven | undefined, now: Date): ConsentRecord {
  const missing = CONSENT_DOCUMENTS.filter((d) => !given?.[d]);
  if (missing.length)
    throw new DomainError("CONSENT_REQUIRED", {
      fields: Object.fromEntries(missing.map((d) => [`consent.${d}`, "consentRequired"])),
    });
  if (CONSENT_DOCUMENTS.some((d) => given![d] !== CONSENT_VERSIONS[d]))
    throw new DomainError("CONSENT_OUTDATED", { current: { ...CONSENT_VERSIONS } });
  return { agreementVersion: given!.agreement!, privacyVersion: given!.privacy!, consentAt: now };
}
