import type { CertProfile } from "../profiles";

/**
 * RA mode's seam: an upstream CA that CertRenew asks to certify a renewal or to revoke (ISSUER=cmp | cfssl).
 * The built-in CA (ISSUER=builtin) signs inside the order's transaction instead; see lib/pki/issue.ts.
 * Upstream calls never run inside a database transaction: the caller records its intent first (the order is
 * "issuing", the revocation a pending row), calls, then records the outcome.
 */

/** The renewal of `oldCertDer` for a CSR the portal has already parsed and verified (signature, key reuse). */
export interface RenewalRequest {
  /**
   * Idempotency key, the same for every retry of one order (e.g. 16 bytes derived from the order id): a retried
   * request after a timeout must not make a second certificate upstream.
   */
  transactionId: Buffer;
  oldCertDer: Buffer;
  csrDer: Buffer;
  /** the new key's SubjectPublicKeyInfo, DER */
  spki: Buffer;
  /** the subject to certify (copied from the old certificate), DER Name */
  subjectDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  profile: CertProfile;
}

export type RenewalOutcome =
  | { status: "issued"; certDer: Buffer; /** issuing CA first, up to (not including) the root */ chainDer: Buffer[] }
  /** the upstream accepted the request and answers later: ask again with the same transactionId */
  | { status: "pending"; retryAfterSeconds: number };

export interface RevocationRequest {
  transactionId: Buffer;
  certDer: Buffer;
  /** RFC 5280 CRLReason code */
  reason: number;
}

export interface UpstreamIssuer {
  readonly kind: "cmp" | "cfssl";
  renew(request: RenewalRequest): Promise<RenewalOutcome>;
  /** resolves once the upstream confirmed the revocation (already revoked counts as confirmed) */
  revoke(request: RevocationRequest): Promise<void>;
}

/**
 * What went wrong upstream. `retryable`: down, slow, garbage, or an answer that may change (try again later with
 * the same transactionId); not retryable: the upstream refused this request for good (a refund case).
 */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly detail: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

/** What a call to the upstream threw, as an UpstreamError: anything else is our client's own fault, retried. */
export function asUpstreamError(err: unknown): UpstreamError {
  return err instanceof UpstreamError
    ? err
    : new UpstreamError(`upstream client failed: ${(err as Error).message}`, true, { fault: "client" });
}
