/**
 * Money is integer fen everywhere but at the Alipay boundary, where it is a yuan string with two decimals.
 * Both directions are strict: a value that is not exactly representable is an error, never rounded.
 */

const MAX_FEN = 100_000_000_00; // Alipay's per-trade ceiling, 100,000,000.00 CNY

export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0 || fen > MAX_FEN) throw new RangeError(`not an amount in fen: ${fen}`);
  const yuan = Math.floor(fen / 100);
  return `${yuan}.${String(fen % 100).padStart(2, "0")}`;
}

const YUAN = /^(0|[1-9]\d{0,8})(?:\.(\d{1,2}))?$/;

/** "100.00" → 10000; "100", "100.5" are accepted as Alipay may send them; anything else (sign, exponent, 3 decimals) is refused. */
export function yuanToFen(yuan: string): number {
  const m = YUAN.exec(yuan);
  if (!m) throw new RangeError(`not a yuan amount: ${JSON.stringify(yuan)}`);
  const fen = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  if (fen > MAX_FEN) throw new RangeError(`amount too large: ${yuan}`);
  return fen;
}

/** Like yuanToFen, but null for anything that is not a valid amount (for untrusted notify fields). */
export function tryYuanToFen(yuan: string | undefined): number | null {
  if (yuan === undefined) return null;
  try {
    return yuanToFen(yuan);
  } catch {
    return null;
  }
}
