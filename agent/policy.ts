import { DomainError } from "@/lib/errors";
import { ChallengeFormatError, parseChallenge, type ChallengeFields } from "@/lib/token/challenge";

/** How far the challenge's issued-at may be from the assistant's clock. */
const CHALLENGE_SKEW_MS = 5 * 60 * 1000;

/**
 * The assistant is not a signing oracle: it signs a text only when it is a well-formed portal challenge for
 * the origin that is asking (which must be allowed), for the certificate being used, and fresh.
 */
export function challengeToSign(
  text: unknown,
  ctx: { requestOrigin: string; allowedOrigins: readonly string[]; certSerial?: string; now: Date },
): ChallengeFields {
  let fields: ChallengeFields;
  try {
    fields = parseChallenge(typeof text === "string" ? text : "");
  } catch (e) {
    throw new DomainError("CHALLENGE_REFUSED", {
      reason: e instanceof ChallengeFormatError ? e.message : "not a challenge",
    });
  }
  if (!ctx.allowedOrigins.includes(fields.origin))
    throw new DomainError("CHALLENGE_REFUSED", { reason: "origin not allowed" });
  if (fields.origin !== ctx.requestOrigin)
    throw new DomainError("CHALLENGE_REFUSED", { reason: "origin differs from the requesting page" });
  if (ctx.certSerial !== undefined && fields.serial !== ctx.certSerial)
    throw new DomainError("CHALLENGE_REFUSED", { reason: "serial differs from the certificate" });
  if (Math.abs(Date.parse(fields.issuedAt) - ctx.now.getTime()) > CHALLENGE_SKEW_MS)
    throw new DomainError("CHALLENGE_REFUSED", { reason: "issued-at too far from this computer's clock" });
  return fields;
}
