import { randomBytes } from "node:crypto";
import type { Clock } from "../clock";

// Crockford base32: no I, L, O, U, so a number read over the phone is not misheard
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_CHARS = 10;

/**
 * `R20261125` (the Beijing date, so numbers sort by day) + 10 random base32 characters (50 bits): one order
 * number says nothing about another. Also used as Alipay's out_trade_no (alphanumeric, ≤ 64). `P`: an organisation's
 * batch payment (lib/org), so a notification names which kind of order it is for.
 */
export function newOrderNo(clock: Clock, prefix: "R" | "P" = "R"): string {
  const day = new Date(clock.now().getTime() + 8 * 60 * 60 * 1000).toISOString().slice(0, 10).replaceAll("-", "");
  const bytes = randomBytes(RANDOM_CHARS);
  let tail = "";
  for (const b of bytes) tail += ALPHABET[b & 31];
  return `${prefix}${day}${tail}`;
}
