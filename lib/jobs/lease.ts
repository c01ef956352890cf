import { randomUUID } from "node:crypto";
import type { Db } from "../db";
import type { Clock } from "../clock";
import type { Prisma } from "../generated/prisma/client";

export const INSTANCE_ID = `${process.pid}-${randomUUID().slice(0, 8)}`;

/**
 * Takes the named lease when it is free or expired (one atomic UPDATE … RETURNING), so with several
 * instances exactly one runs a singleton job at a time. Returns false when another instance holds it.
 */
export async function acquireLease(
  db: Db,
  name: string,
  ms: number,
  clock: Clock,
  owner = INSTANCE_ID,
): Promise<boolean> {
  const now = clock.now();
  const until = new Date(now.getTime() + ms);
  await db.$executeRaw`INSERT INTO "JobLease" ("name") VALUES (${name}) ON CONFLICT ("name") DO NOTHING`;
  const got = await db.$queryRaw<{ name: string }[]>`
    UPDATE "JobLease" SET "owner" = ${owner}, "leaseUntil" = ${until}
    WHERE "name" = ${name} AND ("leaseUntil" IS NULL OR "leaseUntil" <= ${now} OR "owner" = ${owner})
    RETURNING "name"`;
  return got.length === 1;
}

export async function releaseLease(
  db: Db,
  name: string,
  clock: Clock,
  result: unknown,
  owner = INSTANCE_ID,
): Promise<void> {
  await db.jobLease.updateMany({
    where: { name, owner },
    data: {
      leaseUntil: null,
      lastRunAt: clock.now(),
      lastResult: JSON.parse(JSON.stringify(result ?? null)) as Prisma.InputJsonValue,
    },
  });
}

/** Runs `fn` only if this instance wins the lease; returns undefined when another instance holds it. */
export async function runExclusive<T>(
  db: Db,
  name: string,
  leaseMs: number,
  clock: Clock,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  if (!(await acquireLease(db, name, leaseMs, clock))) return undefined;
  let result: T | undefined;
  try {
    result = await fn();
    return result;
  } finally {
    await releaseLease(db, name, clock, result ?? null);
  }
}
