import { createHash } from "node:crypto";
import type { TokenSummary } from "../backends/types";

/**
 * One key seen through two libraries (a vendor's PKCS#11 and SKF libraries, or the vendor's and OpenSC) is
 * shown once: a token whose certificates were all shown already (same DER, compared by SHA-256) is dropped.
 * The first wins, so backends are listed in order of preference. A token without certificates is kept.
 */
export function dedupeTokens(tokens: TokenSummary[]): TokenSummary[] {
  const seen = new Set<string>();
  const shown: TokenSummary[] = [];
  for (const token of tokens) {
    const prints = token.certificates.map((c) =>
      createHash("sha256").update(Buffer.from(c.der, "base64")).digest("hex"),
    );
    if (prints.length > 0 && prints.every((p) => seen.has(p))) continue;
    for (const p of prints) seen.add(p);
    shown.push(token);
  }
  return shown;
}
