import { createHash } from "node:crypto";
import type { Db } from "../db";
import { sqlRows } from "../db/lean";
import { DomainError } from "../errors";

export const IDEMPOTENCY_HEADER = "idempotency-key";
const PENDING = 0;
/**
 * A key still pending this long belongs to a request whose process died (SIGKILL, crash, OOM) before it could
 * record an answer or remove the key: a repeat takes it over and runs the request again, which the handlers are
 * built for (the order state machine and issuance are idempotent). Longer than any request takes.
 */
const ABANDONED_MS = 15_000;
const TAKEOVER = Symbol("takeover");

export interface StoredResponse {
  status: number;
  body: unknown;
}

/**
 * Runs `fn` once per key: a repeat with the same key and body gets the first response back, a repeat with
 * another body is refused. Concurrent repeats wait for the first to finish. Errors are not remembered, so a
 * failed request can be retried with the same key.
 */
export async function withIdempotency(
  db: Db,
  key: string,
  requestBody: unknown,
  fn: () => Promise<StoredResponse>,
): Promise<StoredResponse> {
  const requestHash = createHash("sha256")
    .update(JSON.stringify(requestBody ?? null))
    .digest("hex");
  if (!(await claim(db, key, requestHash))) {
    const seen = await replay(db, key, requestHash);
    if (seen !== TAKEOVER) return seen;
  }
  try {
    const result = await fn();
    await sqlRows(db, RECORD, [key, result.status, JSON.stringify(result.body ?? null)]);
    return result;
  } catch (e) {
    await sqlRows(db, RELEASE, [key]);
    throw e;
  }
}

// the three statements every idempotent request runs (lib/db/lean.ts)
const CLAIM = `INSERT INTO "IdempotencyKey" ("key", "requestHash", "status", "response", "createdAt")
  VALUES ($1, $2, ${PENDING}, '{}', $3) ON CONFLICT ("key") DO NOTHING RETURNING "key"`;
// a key swept away meanwhile is not brought back: the answer still goes out
const RECORD = `UPDATE "IdempotencyKey" SET "status" = $2, "response" = $3::jsonb WHERE "key" = $1`;
// errors are not remembered: the key is free again for a retry
const RELEASE = `DELETE FROM "IdempotencyKey" WHERE "key" = $1 AND "status" = ${PENDING}`;

/** Records the key as pending; false when it was there already (a repeat, or a request still running). */
async function claim(db: Db, key: string, requestHash: string): Promise<boolean> {
  return (await sqlRows(db, CLAIM, [key, requestHash, new Date()])).length === 1;
}

/** The first request's answer once it is there; TAKEOVER when its process died and this request now owns the key. */
async function replay(db: Db, key: string, requestHash: string): Promise<StoredResponse | typeof TAKEOVER> {
  for (let i = 0; i < 200; i++) {
    const row = await db.idempotencyKey.findUnique({ where: { key } });
    if (!row) throw new DomainError("CONFLICT");
    if (row.requestHash !== requestHash) throw new DomainError("IDEMPOTENCY_MISMATCH");
    if (row.status !== PENDING) return { status: row.status, body: row.response };
    if (Date.now() - row.createdAt.getTime() > ABANDONED_MS) {
      const took = await db.idempotencyKey.updateMany({
        where: { key, status: PENDING, createdAt: row.createdAt },
        data: { createdAt: new Date() },
      });
      if (took.count === 1) return TAKEOVER;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DomainError("CONFLICT");
}
