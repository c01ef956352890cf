import { createHash } from "node:crypto";
import type { Db } from "../db";
import { DomainError } from "../errors";
import { Prisma } from "../generated/prisma/client";

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

function isUniqueViolation(e: unknown): boolean {
  return e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002";
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
  try {
    await db.idempotencyKey.create({
      data: { key, requestHash, status: PENDING, response: {}, createdAt: new Date() },
    });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const seen = await replay(db, key, requestHash);
    if (seen !== TAKEOVER) return seen;
  }
  try {
    const result = await fn();
    await db.idempotencyKey.update({
      where: { key },
      data: {
        status: result.status,
        response: JSON.parse(JSON.stringify(result.body ?? null)) as Prisma.InputJsonValue,
      },
    });
    return result;
  } catch (e) {
    await db.idempotencyKey.deleteMany({ where: { key, status: PENDING } });
    throw e;
  }
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
