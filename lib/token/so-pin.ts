import { createHmac } from "node:crypto";

/**
 * Per-token security-officer PINs, derived from the master secret, the token serial and a version that
 * is bumped after every unlock (the SO PIN rotates). Never stored, never logged.
 */
export function deriveSoPin(masterSecret: string, tokenSerial: string, version: number): string {
  const mac = createHmac("sha256", masterSecret).update(`so-pin:v1:${tokenSerial}:${version}`).digest();
  // 10 decimal digits, uniform enough for a PIN that is never typed by a person
  return (mac.readBigUInt64BE(0) % 10_000_000_000n).toString().padStart(10, "0");
}
