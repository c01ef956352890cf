import type { Tx } from "../db";
import type { Clock } from "../clock";
import { DomainError } from "../errors";
import { sqlRows } from "../db/lean";

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
  return (await hitRateLimits(db, [{ key, limit }], clock))[0];
}

/**
 * hitRateLimit for several keys in one statement (one round trip): every key is counted, then RATE_LIMITED is
 * thrown for the first one past its `max` (the one that frees last decides the wait).
 */
export async function hitRateLimits(
  db: Tx,
  hits: { key: string; limit: Limit }[],
  clock: Clock,
): Promise<{ count: number; resetAt: Date }[]> {
  const now = clock.now();
  const keys = hits.map((h) => h.key);
  const resets = hits.map((h) => new Date(now.getTime() + h.limit.windowMs).toISOString());
  // every request that changes state runs it: lib/db/lean.ts
  const rows = await sqlRows<Counted>(db, COUNT_HITS, [keys, resets, now]);
  const byKey = new Map(rows.map((r) => [r.key, { count: Number(r.count), resetAt: new Date(r.resetAt) }]));
  const counted = hits.map((h) => byKey.get(h.key)!);
  let wait = 0;
  hits.forEach((h, i) => {
    if (counted[i].count > h.limit.max) wait = Math.max(wait, counted[i].resetAt.getTime() - now.getTime());
  });
  if (counted.some((c, i) => c.count > hits[i].limit.max))
    throw new DomainError("RATE_LIMITED", { retryAfter: Math.max(1, Math.ceil(wait / 1000)) });
  return counted;
}

type Counted = { key: string; count: number; resetAt: Date };

const COUNT_HITS = `INSERT INTO "RateLimit" ("key", "count", "resetAt")
  SELECT "key", 1, "reset" FROM unnest($1::text[], $2::timestamp(3)[]) AS h("key", "reset")
  ON CONFLICT ("key") DO UPDATE SET
    "count" = CASE WHEN "RateLimit"."resetAt" <= $3 THEN 1 ELSE "RateLimit"."count" + 1 END,
    "resetAt" = CASE WHEN "RateLimit"."resetAt" <= $3 THEN EXCLUDED."resetAt" ELSE "RateLimit"."resetAt" END
  RETURNING "key", "count", "resetAt"`;

export async function clearRateLimit(db: Tx, key: string): Promise<void> {
  await sqlRows(db, `DELETE FROM "RateLimit" WHERE "key" = $1`, [key]);
}

/** Clears every limit whose key starts with `prefix` (an admin's unlock of an account, from every address). */
export async function clearRateLimitPrefix(db: Tx, prefix: string): Promise<number> {
  return (await db.rateLimit.deleteMany({ where: { key: { startsWith: prefix } } })).count;
}

/**
 * Growing delays after failures: from the `free`-th failure on, each one locks the key for
 * `baseMs` · 2^(failures − free), at most `maxMs`; the count is forgotten `forgetMs` after the last failure.
 * Key it by the client's address (with the name or certificate it tried), never by a public value alone, so
 * nobody can lock a rightful user out from elsewhere.
 */
export interface Backoff {
  free: number;
  baseMs: number;
  maxMs: number;
  forgetMs: number;
}

function delayMs(p: Backoff, failures: number): number {
  if (failures < p.free) return 0;
  return Math.min(p.baseMs * 2 ** Math.min(failures - p.free, 30), p.maxMs);
}

/** Throws RATE_LIMITED while `key` is in a delay. The row keeps the count and, as resetAt, last failure + forgetMs. */
export async function checkBackoff(db: Tx, key: string, p: Backoff, clock: Clock): Promise<void> {
  const [row] = await sqlRows<{ count: number; resetAt: Date }>(
    db,
    `SELECT "count", "resetAt" FROM "RateLimit" WHERE "key" = $1`,
    [key],
  );
  const now = clock.now().getTime();
  if (!row || row.resetAt.getTime() <= now) return;
  const lockedUntil = row.resetAt.getTime() - p.forgetMs + delayMs(p, row.count);
  if (lockedUntil > now)
    throw new DomainError("RATE_LIMITED", { retryAfter: Math.max(1, Math.ceil((lockedUntil - now) / 1000)) });
}

/** Counts one failure for `key`; returns the count and how long the key is now locked (0: not yet). */
export async function recordBackoffFailure(
  db: Tx,
  key: string,
  p: Backoff,
  clock: Clock,
): Promise<{ failures: number; lockedForMs: number }> {
  const now = clock.now();
  const forgetAt = new Date(now.getTime() + p.forgetMs);
  const rows = await db.$queryRaw<{ count: number }[]>`
    INSERT INTO "RateLimit" ("key", "count", "resetAt") VALUES (${key}, 1, ${forgetAt})
    ON CONFLICT ("key") DO UPDATE SET
      "count" = CASE WHEN "RateLimit"."resetAt" <= ${now} THEN 1 ELSE "RateLimit"."count" + 1 END,
      "resetAt" = ${forgetAt}
    RETURNING "count"`;
  const failures = Number(rows[0].count);
  return { failures, lockedForMs: delayMs(p, failures) };
}

/**
 * A cap on expensive work in this process (a password hash costs 32 MiB and ~100 ms of a core): at most `max` at
 * once, and at most `perKey` for one client address. Past the cap the answer is an immediate RATE_LIMITED, so a
 * flood is refused in microseconds instead of queueing, and a client on another address still finds a slot.
 * Per process on purpose: it protects this process's CPU and memory; the shared limits stay in the database.
 */
export class WorkGate {
  private running = 0;
  private readonly byKey = new Map<string, number>();
  constructor(
    private readonly max: number,
    private readonly perKey: number,
  ) {}

  /** Enters the gate or throws RATE_LIMITED; call the returned function when the work is done. */
  enter(key: string): () => void {
    const mine = this.byKey.get(key) ?? 0;
    if (this.running >= this.max || mine >= this.perKey) throw new DomainError("RATE_LIMITED", { retryAfter: 1 });
    this.running++;
    this.byKey.set(key, mine + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.running--;
      const n = (this.byKey.get(key) ?? 1) - 1;
      if (n <= 0) this.byKey.delete(key);
      else this.byKey.set(key, n);
    };
  }
}
