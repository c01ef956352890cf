import type { Tx } from "../db";
import type { Clock } from "../clock";
import { DomainError } from "../errors";

export interface Limit {
  max: number;
  windowMs: number;
}

/**
 * Counts one attempt for `key` in a fixed window, in the database (one atomic upsert), so every portal
 * instance shares the count. Throws RATE_LIMITED with the seconds to wait once `max` is passed.
 */
export async function hitRateLimit(
  db: Tx,
  key: string,
  limit: Limit,
  clock: Clock,
): Promise<{ count: number; resetAt: Date }> {
  const now = clock.now();
  const reset = new Date(now.getTime() + limit.windowMs);
  const rows = await db.$queryRaw<{ count: number; resetAt: Date }[]>`
    INSERT INTO "RateLimit" ("key", "count", "resetAt") VALUES (${key}, 1, ${reset})
    ON CONFLICT ("key") DO UPDATE SET
      "count" = CASE WHEN "RateLimit"."resetAt" <= ${now} THEN 1 ELSE "RateLimit"."count" + 1 END,
      "resetAt" = CASE WHEN "RateLimit"."resetAt" <= ${now} THEN ${reset} ELSE "RateLimit"."resetAt" END
    RETURNING "count", "resetAt"`;
  const { count, resetAt } = rows[0];
  if (count > limit.max) {
    throw new DomainError("RATE_LIMITED", {
      retryAfter: Math.max(1, Math.ceil((new Date(resetAt).getTime() - now.getTime()) / 1000)),
    });
  }
  return { count, resetAt: new Date(resetAt) };
}

export async function clearRateLimit(db: Tx, key: string): Promise<void> {
  await db.rateLimit.deleteMany({ where: { key } });
}
