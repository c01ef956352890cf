import { z } from "zod";
import { OrderState } from "./common";

/**
 * The HTTP contract of /api/services (状态查询, 证书注销, 在线解锁): request schemas the routes validate with and
 * response schemas the answers have; the browser's client (./client.ts) takes its types from them. zod only.
 */

/** A certificate as the assistant reads it from the key: base64 DER. */
export const CertificateB64 = z
  .string()
  .max(16_384)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .transform((s) => Buffer.from(s, "base64"));

/** By typed serial (no personal data) or by the certificate read from the key. */
export const StatusRequest = z.union([
  z.object({ serial: z.string().min(1).max(200) }),
  z.object({ certificate: CertificateB64 }),
]);

export const RevokeChallengeRequest = z.object({ certificate: CertificateB64 });

export const RevokeRequest = z.object({
  challenge: z.string().min(1).max(512),
  signature: z.string().min(1).max(2048),
  reason: z.string().max(40),
  confirmed: z.boolean(),
});

export const UnlockStartRequest = z.object({
  certificate: CertificateB64,
  tokenSerial: z.string().min(1).max(64),
  idNumber: z.string().trim().min(6).max(32),
  captchaId: z.uuid(),
  captchaAnswer: z.string().min(1).max(32),
});

/** An unlock request and the one-time code sent for it. */
export const RequestAndCode = z.object({
  requestId: z.uuid(),
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/),
});

export const UnlockConfirmRequest = RequestAndCode.extend({ usedAlternative: z.boolean().default(false) });

export const UnlockReportRequest = RequestAndCode.extend({ errorCode: z.string().regex(/^[A-Z_]{1,64}$/) });

export const CertificateStatusResponse = z.object({
  serial: z.string(),
  state: z.enum(["valid", "renewable", "expired", "revoked", "superseded"]),
  notBefore: z.string(),
  notAfter: z.string(),
  issuerDn: z.string(),
  revokedAt: z.string().optional(),
  revocationReason: z.string().optional(),
  /** online renewal: open now, opens later (`opensAt`), or not possible (`blockedBy`: the rule's error code) */
  renewal: z.object({
    renewable: z.boolean(),
    opensAt: z.string().optional(),
    closesAt: z.string(),
    blockedBy: z.string().optional(),
  }),
  successor: z.object({ serial: z.string(), notAfter: z.string() }).optional(),
  openOrder: z.object({ state: OrderState, resumeUrl: z.string() }).optional(),
  /** only when the query carried the certificate itself */
  subject: z.object({ subjectDn: z.string(), holderName: z.string() }).optional(),
  /** RA mode: what the issuing CA's OCSP responder said (absent when it could not be asked) */
  upstream: z.object({ status: z.enum(["good", "revoked", "unknown"]), checkedAt: z.string() }).optional(),
});
export type CertificateStatusResponse = z.infer<typeof CertificateStatusResponse>;

export const RevokedResponse = z.object({
  serial: z.string(),
  revokedAt: z.string(),
  reason: z.enum(["keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation"]),
  mailed: z.boolean(),
  /** RA mode: sent to the upstream CA, not confirmed yet (revokedAt is when it was requested) */
  pending: z.boolean().optional(),
});
export type RevokedResponse = z.infer<typeof RevokedResponse>;

/** The code was sent: to which (masked) contacts, valid until when. */
export const UnlockStartedResponse = z.object({
  requestId: z.string(),
  expiresAt: z.string(),
  sentTo: z.array(z.string()),
});
export type UnlockStartedResponse = z.infer<typeof UnlockStartedResponse>;

/** The token's current and next SO PIN, and the pair after them when an earlier unlock was not confirmed. */
export const SoPinsResponse = z.object({
  soPin: z.string(),
  newSoPin: z.string(),
  alternative: z.object({ soPin: z.string(), newSoPin: z.string() }).optional(),
});
export type SoPinsResponse = z.infer<typeof SoPinsResponse>;

export const UnlockConfirmedResponse = z.object({ soPinVersion: z.number().int() });
export const UnlockReportedResponse = z.object({ recorded: z.literal(true) });
