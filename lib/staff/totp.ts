import { Secret, TOTP } from "otpauth";
import type { Tx } from "../db";
import type { Clock } from "../clock";
import { SECOND } from "../clock";
import { isDomainError } from "../errors";
import { hitRateLimit } from "../ratelimit";

/** RFC 6238 codes (SHA-1, 6 digits, 30 s) as every authenticator app expects; one step of clock drift allowed. */
const PERIOD = 30;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secretBase32: string, username: string): string {
  return new TOTP({
    issuer: "CertRenew",
    label: username,
    secret: Secret.fromBase32(secretBase32),
    period: PERIOD,
  }).toString();
}

/**
 * Whether `code` is valid now, and not yet used: each accepted time step is recorded (a one-shot rate-limit key
 * that lives as long as the code could be valid), so a code seen over someone's shoulder cannot be replayed.
 */
export async function acceptTotp(
  db: Tx,
  userId: string,
  secretBase32: string,
  code: string,
  clock: Clock,
): Promise<boolean> {
  if (!/^\d{6}$/.test(code)) return false;
  const now = clock.now().getTime();
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secretBase32),
    period: PERIOD,
    timestamp: now,
    window: 1,
  });
  if (delta === null) return false;
  const step = TOTP.counter({ period: PERIOD, timestamp: now }) + delta;
  try {
    await hitRateLimit(db, `staff.totp:${userId}:${step}`, { max: 1, windowMs: 3 * PERIOD * SECOND }, clock);
  } catch (e) {
    if (isDomainError(e) && e.code === "RATE_LIMITED") return false;
    throw e;
  }
  return true;
}
